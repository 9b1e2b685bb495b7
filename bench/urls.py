"""The product's URLs plus /bench-hello: the floor a Django view costs on this server."""

from django.http import HttpResponse
from django.urls import path

from xietong import urls as product


def hello(request):
    return HttpResponse("Hello, world", content_type="text/plain; charset=utf-8")


urlpatterns = [path("bench-hello", hello), *product.urlpatterns]
handler403 = product.handler403
handler404 = product.handler404
handler500 = product.handler500
