"""Acceptance tooling: runs the Gherkin scenarios and reports them per user story.

Kept apart from :mod:`coze_integration`, the runtime package, which never imports pytest.
"""
