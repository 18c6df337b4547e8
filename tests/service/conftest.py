from tests.service.v2_world import world  # noqa: F401  (the fixture)
