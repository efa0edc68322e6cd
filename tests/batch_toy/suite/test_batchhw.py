from gradescope_utils.autograder_utils.decorators import number, weight


@number("1.1")
@weight(2)
def test_double_small(student):
    """double(3) is 6"""
    assert student.ops.double(3) == 6, "double(3) should be 6"


@number("1.2")
@weight(3)
def test_double_negative(student):
    """double(-2.5) is -5"""
    assert student.ops.double(-2.5) == -5.0, "double(-2.5) should be -5"
