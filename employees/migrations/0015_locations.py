import django.db.models.deletion
import django.db.models.functions.text
import django.db.models.lookups
import employees.models
from django.db import migrations, models
from django.db.models import Count


def catalogue_locations(apps, schema_editor):
    """A location for each one employees have, spellings that differ only in case or spacing ("madrid ",
    "Madrid") made one, named as most of its people have it; every employee moved onto its name."""
    Employee = apps.get_model("employees", "Employee")
    Location = apps.get_model("employees", "Location")
    spellings = {}
    for row in (
        Employee.objects.values("location").annotate(people=Count("pk")).order_by("-people", "location")
    ):
        name = " ".join(row["location"].split())
        spellings.setdefault(name.lower(), []).append((name, row["location"]))
    for variants in spellings.values():
        name = variants[0][0]
        Location.objects.create(name=name)
        for _, spelling in variants:
            if spelling != name:
                Employee.objects.filter(location=spelling).update(location=name)


class Migration(migrations.Migration):
    """Locations become a catalogue: employees refer to one by name, in the column they had."""

    dependencies = [
        ("employees", "0014_background_jobs"),
    ]

    operations = [
        migrations.CreateModel(
            name="Location",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=100, unique=True, verbose_name="name")),
                ("country", models.CharField(blank=True, max_length=100, verbose_name="country")),
                (
                    "time_zone",
                    models.CharField(
                        blank=True,
                        max_length=64,
                        validators=[employees.models.validate_time_zone],
                        verbose_name="time zone",
                    ),
                ),
                ("address", models.TextField(blank=True, verbose_name="address")),
            ],
            options={
                "verbose_name": "location",
                "verbose_name_plural": "locations",
                "ordering": ["name"],
            },
        ),
        migrations.RemoveConstraint(
            model_name="employee",
            name="employees_employee_location_not_blank",
        ),
        migrations.AddConstraint(
            model_name="location",
            constraint=models.CheckConstraint(
                condition=django.db.models.lookups.GreaterThan(
                    django.db.models.functions.text.Length(django.db.models.functions.text.Trim("name")), 0
                ),
                name="employees_location_name_not_blank",
                violation_error_message="This field cannot be blank.",
            ),
        ),
        migrations.AddConstraint(
            model_name="location",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("name"),
                name="employees_location_name_unique",
                violation_error_message="A location with this name already exists.",
            ),
        ),
        migrations.RunPython(catalogue_locations, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="employee",
            name="location",
            field=models.ForeignKey(
                db_column="location",
                db_index=False,
                help_text="The office or city where this person works.",
                on_delete=django.db.models.deletion.PROTECT,
                related_name="employees",
                to="employees.location",
                to_field="name",
                verbose_name="location",
            ),
        ),
        migrations.AlterField(
            model_name="historicalemployee",
            name="location",
            field=models.ForeignKey(
                blank=True,
                db_column="location",
                db_constraint=False,
                help_text="The office or city where this person works.",
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="employees.location",
                to_field="name",
                verbose_name="location",
            ),
        ),
    ]
