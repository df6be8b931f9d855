from tests.gradebook.quizzes.factories import course, enrolled, lesson  # noqa: F401
