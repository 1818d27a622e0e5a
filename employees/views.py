import datetime
import io
import logging
import operator
import posixpath
import uuid
from concurrent.futures import ThreadPoolExecutor

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.contrib.messages.views import SuccessMessageMixin
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import DatabaseError, connections
from django.http import FileResponse, Http404, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe
from django.views.generic import (
    CreateView,
    DeleteView,
    DetailView,
    FormView,
    ListView,
    TemplateView,
    UpdateView,
    View,
)
from django.views.generic.detail import SingleObjectMixin
from django.views.static import serve

from . import exports, jobs, orgchart, services
from .filters import EmployeeFilter
from .forms import EmployeeForm, LeaverForm, MyProfileForm
from .models import Badge, Department, Employee, Job

logger = logging.getLogger(__name__)

# How a list of employees is shown: the reader chooses, and their session remembers.
LIST_LAYOUTS = {"table", "cards"}


class EmployeeListView(LoginRequiredMixin, ListView):
    paginate_by = 25
    context_object_name = "employees"
    template_name = "employees/employee_list.html"

    def get(self, request, *args, **kwargs):
        # A filter form sent without JavaScript sends its empty fields too: the address to share holds only
        # what is set.
        if "" in (value for _name, values in request.GET.lists() for value in values):
            query = request.GET.copy()
            for name, values in request.GET.lists():
                query.setlist(name, [value for value in values if value])
            return redirect(f"{request.path}?{query.urlencode()}" if query.urlencode() else request.path)
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        self.filter = EmployeeFilter(
            self.request.GET or None, Employee.objects.for_list(), request=self.request
        )
        return self.filter.results

    def get_context_data(self, **kwargs):
        layout = self.request.session.get("list_layout", "table")
        return super().get_context_data(filter=self.filter, layout=layout, **kwargs)


class ListLayoutView(LoginRequiredMixin, View):
    """The reader's choice of a table or cards for the list, kept in their session; then back to the list."""

    def post(self, request):
        if request.POST.get("layout") in LIST_LAYOUTS:
            request.session["list_layout"] = request.POST["layout"]
        back = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(back, {request.get_host()}, require_https=request.is_secure()):
            back = reverse("employees:list")
        return redirect(back)


class EmployeeDetailView(LoginRequiredMixin, DetailView):
    def get_queryset(self):
        user = self.request.user
        return Employee.objects.visible_to(user).for_detail().with_private_fields(user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["reporting_line"] = self.object.reporting_line()
        context["direct_reports"] = self.object.direct_reports()
        if self.request.user.has_perm("employees.change_employee"):
            context["changes"] = self.object.recent_changes()
        return context


class EmployeeFormMixin(SuccessMessageMixin):
    """Saves as the signed-in user; a save over someone else's newer version is refused and explained."""

    model = Employee
    form_class = EmployeeForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except Employee.EditConflict:
            return self.form_invalid(form)
        except OSError:  # the photo's storage is full or read-only
            logger.exception("The photo of %s could not be stored", form.instance.pk or "a new employee")
            form.add_error(
                "photo", _("The photo could not be stored, so nothing was saved. Try again later.")
            )
            return self.form_invalid(form)


class EmployeeCreateView(PermissionRequiredMixin, EmployeeFormMixin, CreateView):
    permission_required = "employees.add_employee"
    success_message = _("%(full_name)s was added.")


class EmployeeUpdateView(PermissionRequiredMixin, EmployeeFormMixin, UpdateView):
    permission_required = "employees.change_employee"
    success_message = _("%(full_name)s was updated.")


class MyProfileView(LoginRequiredMixin, EmployeeFormMixin, UpdateView):
    """The signed-in user's own record: the URL names no employee, so nobody reaches anyone else's."""

    form_class = MyProfileForm
    template_name = "employees/my_profile.html"
    success_message = _("Your profile was updated.")
    success_url = reverse_lazy("employees:my-profile")

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not Employee.objects.filter(user=request.user).exists():
            return render(request, "employees/my_profile_not_linked.html")
        return super().dispatch(request, *args, **kwargs)

    def get_object(self, queryset=None):
        return get_object_or_404(
            Employee.objects.select_related("department", "manager"), user=self.request.user
        )


class EmployeeDeleteView(PermissionRequiredMixin, DeleteView):
    """The confirmation page says whom the direct reports will report to instead."""

    queryset = Employee.objects.select_related("manager")
    permission_required = "employees.delete_employee"

    def get_context_data(self, **kwargs):
        return super().get_context_data(reports=self.object.direct_reports(), **kwargs)

    def form_valid(self, form):
        services.delete_employee(self.object, user=self.request.user)
        messages.success(self.request, _("%(full_name)s was deleted.") % {"full_name": self.object.full_name})
        return redirect("employees:list")


class EmployeeLeaveView(PermissionRequiredMixin, SingleObjectMixin, FormView):
    """Mark as left: the person leaves the lists and their account stops working; nothing is deleted."""

    permission_required = "employees.change_employee"
    queryset = Employee.objects.current().select_related("manager")
    form_class = LeaverForm
    template_name = "employees/employee_leave.html"

    @cached_property
    def object(self):
        return self.get_object()

    def get_initial(self):
        return {"version": self.object.version}

    def get_context_data(self, **kwargs):
        return super().get_context_data(reports=self.object.direct_reports(), **kwargs)

    def form_valid(self, form):
        try:
            services.mark_as_left(
                self.object,
                user=self.request.user,
                on=form.cleaned_data["left_on"],
                version=form.cleaned_data["version"],
            )
        except Employee.EditConflict:
            messages.error(
                self.request, _("Someone changed this person meanwhile: look again, then mark them.")
            )
            return redirect(self.object)
        messages.success(
            self.request, _("%(full_name)s was marked as left.") % {"full_name": self.object.full_name}
        )
        return redirect(self.object)


class EmployeeReturnView(PermissionRequiredMixin, SingleObjectMixin, View):
    """Undo "Mark as left": the person is listed again and their account works again."""

    permission_required = "employees.change_employee"
    queryset = Employee.objects.filter(left_on__isnull=False)

    def post(self, request, *args, **kwargs):
        employee = services.return_to_company(self.get_object(), user=request.user)
        messages.success(
            request, _("%(full_name)s is back in the directory.") % {"full_name": employee.full_name}
        )
        return redirect(employee)


class DepartmentListView(LoginRequiredMixin, TemplateView):
    template_name = "employees/department_list.html"

    def get_context_data(self, **kwargs):
        departments = list(Department.objects.tree().values())
        return super().get_context_data(tree=orgchart.department_tree(departments), **kwargs)


class DepartmentDetailView(LoginRequiredMixin, ListView):
    """A department's people, a page at a time, and the departments under it with their headcounts."""

    paginate_by = 25
    context_object_name = "employees"
    template_name = "employees/department_detail.html"

    def get_queryset(self):
        self.department = Department.objects.tree().get(self.kwargs["slug"])
        if self.department is None:
            raise Http404
        return Employee.objects.current().filter(department=self.department).for_list()

    def get_context_data(self, **kwargs):
        return super().get_context_data(department=self.department, **kwargs)


class OrgChartView(LoginRequiredMixin, TemplateView):
    """Who reports to whom: in one department (and those under it), under one person (``?root=<id>``), or at
    the top of the company."""

    template_name = "employees/org_chart.html"
    # The whole company may be a million people: its chart shows the top levels, a person's chart them and the
    # levels below; "+N more" opens the chart of whoever has more. A department shows everyone.
    company_levels = 3
    team_levels = 4
    company_limit = 500

    def get_context_data(self, **kwargs):
        departments = Department.objects.tree()
        slug = self.request.GET.get("department", "")
        department = departments.get(slug)
        if slug and department is None:
            raise Http404
        root = None if department else self.root()
        if department:
            # The people of the departments under it too: a team's manager often sits one department up.
            below = [node.pk for node in department.walk()]
            rows, truncated = list(Employee.objects.current().filter(department__in=below).org_chart()), False
        else:
            if root:
                rows = Employee.objects.team_of(root.pk, self.team_levels, self.company_limit + 1)
            else:
                rows = Employee.objects.top_of_company(self.company_levels, self.company_limit + 1)
            rows, truncated = orgchart.cut(rows, self.company_limit)
        return super().get_context_data(
            departments=departments.values(),
            department=department,
            root=root,
            up=root.manager if root and root.manager and not root.manager.has_left else None,
            with_subdepartments=bool(department and department.subdepartments),
            chart=orgchart.org_chart(rows),
            people=len(rows),
            truncated=truncated,
            **kwargs,
        )

    def root(self):
        """The person whose chart was asked for with ``?root=<id>``, with their manager, or None."""
        pk = self.request.GET.get("root", "")
        if not pk:
            return None
        try:
            pk = uuid.UUID(pk)
        except ValueError:
            raise Http404 from None
        people = Employee.objects.current().select_related("manager")
        return get_object_or_404(
            people.only("id", "full_name", "manager__id", "manager__full_name", "manager__left_on"), pk=pk
        )


def last_months(today, count):
    """The first days of the ``count`` months up to the one of ``today``, the oldest first."""
    months = [today.replace(day=1)]
    while len(months) < count:
        months.append((months[-1] - datetime.timedelta(days=1)).replace(day=1))
    return months[::-1]


class HeadcountView(LoginRequiredMixin, TemplateView):
    """Who works here by department and by location, largest first, with totals; who joined, by month."""

    template_name = "employees/headcount.html"
    joiner_months = 12

    def get_context_data(self, **kwargs):
        people = Employee.objects.current()
        # Largest first; a sort is stable, so equal counts stay in name order.
        by_count = {"key": operator.itemgetter(1), "reverse": True}
        locations = sorted(
            ((row["location"], row["headcount"]) for row in people.headcount_by_location()), **by_count
        )
        total = sum(row[1] for row in locations)
        departments = [
            (department, department.headcount) for department in Department.objects.tree().values()
        ]
        departments.append((None, total - sum(row[1] for row in departments)))
        departments = sorted((row for row in departments if row[0] or row[1]), **by_count)
        today = timezone.localdate()
        months = last_months(today, self.joiner_months)
        joined = people.with_private_fields(self.request.user).joiners_by_month(months[0], today)
        joined = {row["month"]: row["joiners"] for row in joined}
        joiners = [(month, joined.get(month, 0)) for month in months]
        return super().get_context_data(
            total=total,
            locations=locations,
            departments=departments,
            joiners=joiners,
            joiner_total=sum(joined.values()),
            badges=Badge.objects.with_headcount().order_by("position", "name"),
            **kwargs,
        )


class EmployeeVCardView(LoginRequiredMixin, DetailView):
    def get_queryset(self):
        people = Employee.objects.visible_to(self.request.user).select_related("department")
        return people.prefetch_related("badges").with_private_fields(self.request.user)

    def render_to_response(self, context):
        filename = f"{self.object.full_name}.vcf"
        return HttpResponse(
            self.card(),
            content_type="text/vcard; charset=utf-8",
            headers={"Content-Disposition": content_disposition_header(True, filename)},
        )

    def card(self, **options):
        page = self.request.build_absolute_uri(self.object.get_absolute_url())
        return exports.vcard(self.object, page, **options)


class EmployeeVCardQRCodeView(EmployeeVCardView):
    """The vCard as a QR code (SVG) a phone's camera reads into its contacts; without the photo, which would
    not fit in one. A card too long even so (a QR code holds under 3 KB) gives the address of their page."""

    def render_to_response(self, context):
        try:
            code = segno.make(self.card(photo=False), error="l")
        except segno.DataOverflowError:
            code = segno.make(self.request.build_absolute_uri(self.object.get_absolute_url()), error="l")
        svg = io.BytesIO()
        code.save(svg, kind="svg", scale=4, border=2)
        return HttpResponse(svg.getvalue(), content_type="image/svg+xml")


class FilteredExportView(LoginRequiredMixin, View):
    """The list page's employees, with its search, filters and order, as a file that streams."""

    filename = None
    content_type = None

    def get(self, request):
        filterset = EmployeeFilter(
            request.GET, Employee.objects.with_private_fields(request.user), request=request
        )
        if not filterset.is_valid():
            # The list page explains what is wrong with these filters.
            return redirect(f"{reverse('employees:list')}?{request.GET.urlencode()}")
        lines = exports.started(self.stream(filterset.qs))
        if lines is None:
            message = _("Other exports are running. Try again in a minute.")
            return HttpResponse(message, status=429, headers={"Retry-After": "60"}, content_type="text/plain")
        return StreamingHttpResponse(
            lines,
            content_type=self.content_type,
            headers={"Content-Disposition": content_disposition_header(True, self.filename)},
        )


class EmployeeCSVExportView(FilteredExportView):
    filename = "employees.csv"
    content_type = "text/csv; charset=utf-8"

    def stream(self, employees):
        return exports.csv_lines(employees)


class EmployeeVCardExportView(FilteredExportView):
    filename = "employees.vcf"
    content_type = "text/vcard; charset=utf-8"

    def stream(self, employees):
        return exports.vcards(employees, self.request.build_absolute_uri)


class ExportJobCreateView(LoginRequiredMixin, View):
    """The list page's employees, with its search, filters and order, as a file a background job writes;
    then the Downloads page, where it shows up when ready."""

    def post(self, request):
        kind = request.POST.get("kind")
        if kind not in Job.EXTENSIONS:
            return HttpResponse(_("Unknown kind of export."), status=400, content_type="text/plain")
        query = request.GET.copy()
        query.pop("page", None)
        list_url = f"{reverse('employees:list')}?{query.urlencode()}"
        if not EmployeeFilter(query, Employee.objects.none(), request=request).is_valid():
            return redirect(list_url)  # the list page explains what is wrong with these filters
        try:
            jobs.queue_export(request.user, kind, query.urlencode(), request.build_absolute_uri("/"))
        except jobs.JobRefused as refusal:
            messages.error(request, str(refusal))
            return redirect(list_url)
        return redirect("employees:jobs")


class JobListView(LoginRequiredMixin, ListView):
    """Downloads: the signed-in user's jobs, with their progress, their files, and why one failed."""

    context_object_name = "jobs"
    template_name = "employees/job_list.html"

    def get_queryset(self):
        return Job.objects.of(self.request.user).kept()

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            run_at_once=settings.TASKS_EAGER,
            per_user=settings.JOBS_PER_USER,
            kept_hours=settings.JOBS_KEPT_HOURS,
            under_way=any(job.is_in_progress for job in self.object_list),
            **kwargs,
        )


class OwnJobMixin(LoginRequiredMixin, SingleObjectMixin):
    """Only the signed-in user's own jobs: anyone else's is a 404."""

    def get_queryset(self):
        return Job.objects.of(self.request.user).kept()


class JobDownloadView(OwnJobMixin, View):
    content_types = {
        Job.Kind.CSV: "text/csv; charset=utf-8",
        Job.Kind.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        Job.Kind.VCARD: "text/vcard; charset=utf-8",
    }

    def get(self, request, pk):
        job = self.get_object()
        if job.status != Job.Status.DONE or not job.file:
            raise Http404
        response = FileResponse(
            default_storage.open(job.file.name), as_attachment=True, filename=job.filename
        )
        response["Content-Type"] = self.content_types[job.kind]
        response["Cache-Control"] = "private, no-store"
        return response


class JobRetryView(OwnJobMixin, View):
    def post(self, request, pk):
        try:
            jobs.retry(self.get_object())
        except jobs.JobRefused as refusal:
            messages.error(request, str(refusal))
        return redirect("employees:jobs")


class JobRemoveView(OwnJobMixin, View):
    def post(self, request, pk):
        try:
            jobs.remove(self.get_object())
        except jobs.JobRefused as refusal:
            messages.error(request, str(refusal))
        return redirect("employees:jobs")


def healthz(request):
    """Liveness: the process answers. Never touches the database."""
    return HttpResponse("ok", content_type="text/plain")


# A thread per database asks it whether it answers: a frozen database holds that thread, not the request's.
READINESS = ThreadPoolExecutor(max_workers=1 + len(settings.DATABASE_REPLICAS))


def database_answers(alias="default"):
    """On a connection of its own, closed after: whether the database takes new connections is the point."""
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        connections[alias].close()


def answered(check):
    try:
        check.result(timeout=2)
    except (DatabaseError, TimeoutError):
        return False
    return True


def readyz(request):
    """Readiness: the database answers within two seconds, so the load balancer may send traffic here. A
    replica that does not answer (its reads go to the primary meanwhile) or a cache that keeps nothing is
    reported as degraded, not a reason to take the instance out."""
    databases = ["default", *settings.DATABASE_REPLICAS]
    checks = {alias: READINESS.submit(database_answers, alias) for alias in databases}
    if not answered(checks.pop("default")):
        return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
    token = uuid.uuid4().hex
    cache.set("readyz", token, timeout=10)
    report = {"status": "ok", "cache": "ok" if cache.get("readyz") == token else "degraded"}
    return JsonResponse(
        report | {alias: "ok" if answered(check) else "degraded" for alias, check in checks.items()}
    )


@require_safe
@login_required
@cache_control(private=True, max_age=31_536_000, immutable=True)
def media(request, path):
    """An uploaded photo, for signed-in users only. A photo's random name is never reused, so browsers may
    keep it for a year. Jobs' files, in the same storage, are their owners' alone (JobDownloadView)."""
    if posixpath.normpath(path).startswith("jobs/"):
        raise Http404
    return serve(request, path, document_root=settings.MEDIA_ROOT)
