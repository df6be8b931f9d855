"""What people see across the apps: icons, status marks, answers as typed, the nav's roles.

Template tags and small pure helpers shared by the student and teacher pages; no models.
"""
