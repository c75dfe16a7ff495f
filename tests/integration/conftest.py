from tests.aws_fixtures import _fake_credentials, mocked, stack  # noqa: F401 - pytest fixtures
