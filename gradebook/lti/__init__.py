"""LTI 1.3 Advantage: the gradebook as a tool inside an LMS (Moodle, Canvas, Brightspace...).

Built on ``django-lti`` (its ``lti_tool`` app holds platform registrations, deployments, keys,
and the users, contexts and resource links launches describe) and ``pylti1p3`` (the protocol:
OIDC login, id_token validation, deep linking, AGS and NRPS clients). This app adds what is
ours: which course, lesson or item a resource link opens (``Placement``), the accounts and
enrolments a launch maps to, the outbox of scores on their way to the LMS (``ScoreSync``), and
one-time launch nonces. ``docs/lti.md`` is the administrator's guide.
"""
