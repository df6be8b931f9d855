"""Charts: the layout (pure arithmetic, table-tested) and the charts on the real pages, whose
data tables must carry the numbers the attempts in the database give."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from gradebook.courses.models import Enrollment
from gradebook.quizzes.services import submit_answer
from gradebook.ui.charts import axis, bar_chart, histogram, line_chart
from tests.gradebook.quizzes.factories import item


@pytest.mark.parametrize(
    ("value", "top", "step"),
    [
        (0, 1, 1),
        (0.4, 1, 1),
        (1, 1, 1),
        (4, 4, 1),
        (7, 8, 2),
        (10, 10, 5),
        (11, 15, 5),
        (120, 150, 50),
        (499, 600, 200),
        (1234, 1500, 500),
    ],
)
def test_the_value_axis_ends_on_a_whole_round_step_at_or_above_the_highest(value, top, step):
    assert axis(value) == (top, step)
    assert top >= value and top / step <= 4 and step == int(step)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], [0, 0, 0]),
        ([0, 0.49, 0.5, 0.99, 1.0], [2, 1, 2]),  # the last bin is closed: 1.0 lands in it
        ([-1, 2], [0, 0, 0]),  # outside every bin: not counted anywhere
    ],
)
def test_histogram_counts_each_value_in_its_half_open_bin(values, expected):
    assert [n for _, n in histogram(values, (0, 0.5, 0.99, 1.0), ("a", "b", "c"))] == expected


def test_histogram_refuses_labels_that_do_not_match_the_bins():
    with pytest.raises(ValueError, match="3 edges make 2 bins, not 3"):
        histogram([1], (0, 1, 2), ("a", "b", "c"))


def test_bars_are_as_tall_as_their_values_and_carry_them_as_text():
    chart = bar_chart("c", "T", [("a", 2), ("b", 4), ("c", 0)], x_label="x", y_label="n")
    a, b, c = chart.bars
    assert b.height == pytest.approx(2 * a.height) and c.height == 0
    assert [bar.text for bar in chart.bars] == ["2", "4", "0"]
    assert a.y + a.height == pytest.approx(chart.plot_bottom)
    assert a.x + a.width <= b.x and b.x + b.width <= c.x, "bars never overlap"
    assert chart.rows == [("a", "2"), ("b", "4"), ("c", "0")]
    assert [t.label for t in chart.ticks] == ["0", "1", "2", "3", "4"]


def test_a_line_keeps_the_order_and_thins_its_labels_but_not_its_points():
    data = [(f"d{i}", float(i * i)) for i in range(20)]
    chart = line_chart("c", "T", data, max_labels=6)
    assert len(chart.points) == 20
    xs = [p.x for p in chart.points]
    assert xs == sorted(xs) and len(set(xs)) == 20
    ys = [p.y for p in chart.points]
    assert ys == sorted(ys, reverse=True), "higher values are drawn higher"
    labelled = [p.label for p in chart.points if p.show_label]
    assert labelled[0] == "d0" and labelled[-1] == "d19" and len(labelled) <= 7
    assert [p.label for p in chart.points if p.show_text] == ["d0", "d19"]


def test_an_empty_chart_says_so_instead_of_drawing_axes():
    assert bar_chart("c", "T", []).empty and line_chart("c", "T", []).empty


def _table(html: str, chart_id: str) -> list[tuple[str, str]]:
    figure = re.search(rf'<figure class="chart" id="{chart_id}">.*?</figure>', html, re.S)
    assert figure, f"no chart {chart_id}"
    return re.findall(
        r'<tr><th scope="row">(.*?)</th><td class="num">(.*?)</td></tr>', figure.group(0)
    )


@pytest.mark.django_db
def test_the_item_page_charts_the_scores_the_tries_and_the_misconceptions(
    tara_client, teaching, enrolled, bob
):
    Enrollment.objects.create(course=teaching, student=bob)
    ce = item(teaching, "ce-loss")
    submit_answer(student=enrolled, item=ce, response="-log10(0.3)")  # tagged log-base
    submit_answer(student=enrolled, item=ce, response="1.204")  # right on the 2nd try
    submit_answer(student=bob, item=ce, response="7")  # wrong, not right yet
    html = tara_client.get(reverse("grades:item", args=["ai-gen", "ce-loss"])).content.decode()
    scores = dict(_table(html, f"chart-scores-{ce.pk}"))
    assert scores["0–19%"] == "1" and sum(int(v) for v in scores.values()) == 2
    assert int(scores["80–100%"]) == 1
    tries = dict(_table(html, f"chart-tries-{ce.pk}"))
    assert tries == {"1": "0", "2": "1", "3": "0", "4": "0", "5+": "0", "not yet": "1"}
    assert _table(html, f"chart-mis-{ce.pk}") == [("log-base", "1")]
    svg = re.search(rf'id="chart-tries-{ce.pk}".*?</svg>', html, re.S).group(0)
    assert 'role="img"' in svg and "<title" in svg and "<desc" in svg
    assert ">not yet</text>" in svg, "each bar is labelled in the picture too"


@pytest.mark.django_db
def test_the_course_page_charts_class_progress_and_the_dashboard_the_students_xp(
    tara_client, teaching, enrolled, client
):
    submit_answer(student=enrolled, item=item(teaching, "ce-loss"), response="1.204")
    html = tara_client.get(reverse("grades:course_analytics", args=["ai-gen"])).content.decode()
    rows = _table(html, f"chart-progress-{teaching.pk}")
    assert len(rows) == 1 and rows[0][1] == "1"
    client.force_login(enrolled)
    dash = client.get(reverse("dashboard")).content.decode()
    (day, xp), *_ = _table(dash, "chart-xp")
    from gradebook.progress.services import total_xp

    assert int(xp) == total_xp(enrolled) > 0
    assert day == rows[0][0], "the same day on both charts"


@pytest.mark.django_db
def test_a_student_without_xp_sees_no_empty_chart(client, enrolled):
    client.force_login(enrolled)
    assert 'id="chart-xp"' not in client.get(reverse("dashboard")).content.decode()
