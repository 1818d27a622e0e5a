from employees.templatetags.employee_search import facet_options, highlight


def test_marks_every_match_ignoring_case_and_accents():
    assert highlight("José García", "jose GARCIA") == "<mark>José</mark> <mark>García</mark>"


def test_marks_every_occurrence_and_merges_overlaps():
    assert highlight("Banana", "an nan") == "B<mark>anan</mark>a"


def test_escapes_the_text_and_the_marked_parts():
    assert highlight("<b>Ana</b> & co", "ana") == "&lt;b&gt;<mark>Ana</mark>&lt;/b&gt; &amp; co"


def test_leaves_text_unmarked_without_a_usable_query():
    assert highlight("Ana <i>", "") == "Ana &lt;i&gt;"
    assert highlight("Ana", "a") == "Ana"
    assert highlight("Ana", None) == "Ana"


def test_facet_options_mark_the_selected_value_and_escape():
    options = facet_options([("Madrid", 2), ('<"Paris">', 1)], "Madrid")
    assert options == (
        '<option value="Madrid" selected>Madrid (2)</option>'
        '<option value="&lt;&quot;Paris&quot;&gt;">&lt;&quot;Paris&quot;&gt; (1)</option>'
    )
