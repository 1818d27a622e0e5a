"""The REST API under /api/v1/: the list page's search, filters and sort order, and the UI's permissions."""

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import routers, serializers, viewsets
from rest_framework.schemas.inspectors import DefaultSchema

from .filters import EmployeeFilter
from .models import Badge, Employee


class BadgeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Badge
        fields = ["slug", "name", "icon", "position"]


class EmployeeSerializer(serializers.ModelSerializer):
    badges = serializers.SlugRelatedField(
        many=True,
        required=False,
        slug_field="slug",
        queryset=Badge.objects.all(),
        help_text="Badge slugs, for example coffee-snob.",
    )
    badge_names = serializers.SerializerMethodField(help_text="The badges' names, in the order of `badges`.")

    class Meta:
        model = Employee
        fields = [
            "id",
            "full_name",
            "job_title",
            "location",
            "badges",
            "badge_names",
            "created_at",
            "updated_at",
        ]

    def get_badge_names(self, employee) -> list[str]:
        return [badge.name for badge in employee.badges.all()]


class SchemaOfInstances(DefaultSchema):
    """DRF's DEFAULT_SCHEMA_CLASS (drf-spectacular's), looked up when a view instance asks for it, as the
    schema generator does, and not when the router lists a view class's attributes at start-up: the schema
    classes import django.test and more, about 8 MB per worker that only /api/schema/ needs."""

    def __get__(self, instance, owner):
        return self if instance is None else super().__get__(instance, owner)


class EmployeeViewSet(viewsets.ModelViewSet):
    """Employees. The list takes the list page's parameters: `q`, `location`, `badge` (a slug), `sort`."""

    queryset = Employee.objects.with_badges()
    serializer_class = EmployeeSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = EmployeeFilter
    schema = SchemaOfInstances()


class BadgeViewSet(viewsets.ModelViewSet):
    """The badge catalogue, on one page. Employees refer to badges by slug."""

    queryset = Badge.objects.all()
    serializer_class = BadgeSerializer
    lookup_field = "slug"
    pagination_class = None
    schema = SchemaOfInstances()


# No ".json" suffix URLs: the format comes from the Accept header (or ?format=), one URL per resource.
router = routers.DefaultRouter()
router.include_format_suffixes = False
router.register("employees", EmployeeViewSet)
router.register("badges", BadgeViewSet)
