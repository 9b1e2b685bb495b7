"""URLs of the pairing app: department pairs, work contacts and compliance
(``views_contacts``); secondments, trainings and inspection visits (``views_people``)."""

from .views_contacts import urlpatterns as _contacts
from .views_people import urlpatterns as _people

urlpatterns = [*_contacts, *_people]

app_name = "pairing"
