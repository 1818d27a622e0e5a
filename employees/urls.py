from django.urls import path

from . import views

app_name = "employees"

urlpatterns = [
    path("", views.EmployeeListView.as_view(), name="list"),
    path("headcount/", views.HeadcountView.as_view(), name="headcount"),
    path("employees/new/", views.EmployeeCreateView.as_view(), name="create"),
    path("employees/<uuid:pk>/", views.EmployeeDetailView.as_view(), name="detail"),
    path("employees/<uuid:pk>/edit/", views.EmployeeUpdateView.as_view(), name="update"),
    path("employees/<uuid:pk>/delete/", views.EmployeeDeleteView.as_view(), name="delete"),
]
