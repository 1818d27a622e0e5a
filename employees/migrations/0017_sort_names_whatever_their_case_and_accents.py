import employees.models
from django.db import migrations


class Migration(migrations.Migration):
    """Names, job titles and locations sort whatever their case and accents (models.NameField); the columns
    of employees that refer to a location follow its name's collation."""

    dependencies = [
        ('employees', '0016_editors_manage_locations'),
    ]

    operations = [
        migrations.AlterField(
            model_name='employee',
            name='full_name',
            field=employees.models.NameField(max_length=100, verbose_name='full name'),
        ),
        migrations.AlterField(
            model_name='employee',
            name='job_title',
            field=employees.models.NameField(max_length=100, verbose_name='job title'),
        ),
        migrations.AlterField(
            model_name='historicalemployee',
            name='full_name',
            field=employees.models.NameField(max_length=100, verbose_name='full name'),
        ),
        migrations.AlterField(
            model_name='historicalemployee',
            name='job_title',
            field=employees.models.NameField(max_length=100, verbose_name='job title'),
        ),
        migrations.AlterField(
            model_name='location',
            name='name',
            field=employees.models.NameField(max_length=100, unique=True, verbose_name='name'),
        ),
    ]
