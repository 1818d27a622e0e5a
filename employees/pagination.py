import uuid
from collections.abc import Sequence

from django.core.paginator import Paginator
from django.utils.functional import cached_property


class EmployeePaginator(Paginator):
    """A paginator told its count (the facet query already has it) that reads late pages backwards.

    OFFSET makes the database walk past every earlier row, so page 40,000 of a million would cost 40,000
    times page 1. A page past the middle is read in the reverse order from the end instead: the last page
    is as cheap as the first, and no page walks past more than half of the rows.
    """

    def __init__(self, object_list, per_page, *, count, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.count = count

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        if top + self.orphans >= self.count:
            top = self.count
        if bottom <= self.count // 2 or not getattr(self.object_list, "ordered", False):
            return self._get_page(self.object_list[bottom:top], number, self)
        from_end = self.object_list.reverse()[self.count - top : self.count - bottom]
        return self._get_page(Reversed(from_end), number, self)


class Reversed(Sequence):
    """The rows of a queryset in reverse order, read when first used, like the queryset of an early page.

    A page whose rows come from the cached rendering then costs no query.
    """

    def __init__(self, queryset):
        self.queryset = queryset

    @cached_property
    def rows(self):
        return list(self.queryset)[::-1]

    def __getitem__(self, index):
        return self.rows[index]

    def __len__(self):
        return len(self.rows)


class InOrder(Sequence):
    """The employees of ``queryset`` whose ids are ``ids``, in the order of ``ids``. A slice is another
    ``InOrder``; rows are read when first used: a page of them costs one query (and its prefetches)."""

    def __init__(self, queryset, ids):
        self.queryset = queryset
        self.ids = ids

    @cached_property
    def rows(self):
        found = {row.pk: row for row in self.queryset.with_ids(self.ids)}
        return [found[pk] for pk in map(uuid.UUID, self.ids) if pk in found]

    def __getitem__(self, index):
        if isinstance(index, slice):
            return InOrder(self.queryset, self.ids[index])
        return self.rows[index]

    def __len__(self):
        return len(self.rows)
