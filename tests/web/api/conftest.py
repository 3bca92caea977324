from tests.web.signin import access_app, access_app_settings

__all__ = ["access_app", "access_app_settings"]
