"""URLs of the joint conference, gathered from the view modules (one per noun)."""

from .views import board, meetings, plans, tasks, transfer

app_name = "conference"

urlpatterns = [
    *meetings.urlpatterns,
    *plans.urlpatterns,
    *tasks.urlpatterns,
    *board.urlpatterns,
    *transfer.urlpatterns,
]
