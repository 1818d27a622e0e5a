from django.core.paginator import Paginator


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
        return self._get_page(list(from_end)[::-1], number, self)
