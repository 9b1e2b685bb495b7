"""URLs of the pairing app: department pairs, work contacts and compliance
(``views_contacts``); secondments, trainings and inspection visits (``views_people``);
the delete pages (``views_delete``)."""

from .views_contacts import urlpatterns as _contacts
from .views_delete import urlpatterns as _delete
from .views_people import urlpatterns as _people

urlpatterns = [*_contacts, *_people, *_delete]

app_name = "pairing"
