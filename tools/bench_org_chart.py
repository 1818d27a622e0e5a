"""Time the org chart of one department of 5,000 people: a tree of span 7, rendered ten times.

Run against a migrated database it may write to (the people and department it adds are deleted at the end):
    DATABASE_URL=... DEBUG=true .venv/bin/python manage.py shell < tools/bench_org_chart.py
"""

import statistics
import time
import uuid

from django.contrib.auth.models import User
from django.test import Client
from django.test.utils import setup_test_environment

from employees.models import Department, Employee, Location

setup_test_environment()
department, _ = Department.objects.get_or_create(slug="org-chart-bench", defaults={"name": "Org chart bench"})
madrid = Location.objects.for_name("Madrid")
Employee.objects.filter(department=department).delete()
ids = [uuid.uuid4() for _ in range(5000)]
Employee.objects.bulk_create(
    Employee(
        id=pk,
        full_name=f"Person {n:04}",
        job_title="Engineer",
        location=madrid,
        department=department,
        manager_id=ids[(n - 1) // 7] if n else None,
    )
    for n, pk in enumerate(ids)
)
user, _ = User.objects.get_or_create(username="org-chart-bench")
client = Client()
client.force_login(user)
times = []
for _ in range(10):
    started = time.perf_counter()
    response = client.get("/org-chart/", {"department": department.slug}, HTTP_HOST="localhost")
    times.append(time.perf_counter() - started)
if response.content.count(b'class="org-node"') != 5000:
    raise SystemExit("The org chart did not show the 5,000 people.")
print(
    f"5,000 people: median {statistics.median(times) * 1000:.0f} ms, best {min(times) * 1000:.0f} ms, "
    f"{len(response.content) / 1e6:.1f} MB of HTML"
)
Employee.objects.filter(department=department).delete()
department.delete()
