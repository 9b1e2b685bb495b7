from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "xietong.api"
    label = "api"
    verbose_name = "API"
