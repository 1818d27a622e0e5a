from django.urls import path

from . import views

app_name = "employees"

urlpatterns = [
    path("", views.EmployeeListView.as_view(), name="list"),
    path("headcount/", views.HeadcountView.as_view(), name="headcount"),
    path("me/", views.MyProfileView.as_view(), name="my-profile"),
    path("departments/", views.DepartmentListView.as_view(), name="departments"),
    path("departments/<slug:slug>/", views.DepartmentDetailView.as_view(), name="department"),
    path("org-chart/", views.OrgChartView.as_view(), name="org-chart"),
    path("employees/export.csv", views.EmployeeCSVExportView.as_view(), name="export-csv"),
    path("employees/export.vcf", views.EmployeeVCardExportView.as_view(), name="export-vcard"),
    path("jobs/", views.JobListView.as_view(), name="jobs"),
    path("jobs/export/", views.ExportJobCreateView.as_view(), name="export"),
    path("jobs/<uuid:pk>/download/", views.JobDownloadView.as_view(), name="job-download"),
    path("jobs/<uuid:pk>/retry/", views.JobRetryView.as_view(), name="job-retry"),
    path("jobs/<uuid:pk>/remove/", views.JobRemoveView.as_view(), name="job-remove"),
    path("employees/new/", views.EmployeeCreateView.as_view(), name="create"),
    path("employees/<uuid:pk>/", views.EmployeeDetailView.as_view(), name="detail"),
    path("employees/layout/", views.ListLayoutView.as_view(), name="list-layout"),
    path("employees/<uuid:pk>/vcard.vcf", views.EmployeeVCardView.as_view(), name="vcard"),
    path("employees/<uuid:pk>/vcard.svg", views.EmployeeVCardQRCodeView.as_view(), name="vcard-qr-code"),
    path("employees/<uuid:pk>/edit/", views.EmployeeUpdateView.as_view(), name="update"),
    path("employees/<uuid:pk>/delete/", views.EmployeeDeleteView.as_view(), name="delete"),
    path("employees/<uuid:pk>/leave/", views.EmployeeLeaveView.as_view(), name="leave"),
    path("employees/<uuid:pk>/return/", views.EmployeeReturnView.as_view(), name="return"),
]
