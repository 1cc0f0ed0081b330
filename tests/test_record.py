"""whisk.record: the dataclass-like value classes whisk uses instead of dataclasses."""

import pytest

from whisk.record import FrozenInstanceError, field, record


@record
class Point:
    x: int
    y: int = 0


@record(frozen=False)
class Bag:
    items: list[int] = field(default_factory=list)
    label: str = "bag"
    seen: int = field(default=0, init=False, repr=False)

    def __post_init__(self) -> None:
        self.seen = len(self.items)


def test_frozen_record_init_eq_hash_repr():
    p = Point(1, y=2)
    assert (p.x, p.y) == (1, 2)
    assert p == Point(1, 2) and p != Point(2, 1) and p != (1, 2)
    assert hash(p) == hash(Point(1, 2)) and len({p, Point(1, 2)}) == 1
    assert repr(p) == "Point(x=1, y=2)"
    assert Point(5) == Point(5, 0)
    assert Point.__match_args__ == ("x", "y")
    with pytest.raises(FrozenInstanceError):
        p.x = 3
    with pytest.raises(AttributeError):
        del p.y


def test_arguments_are_checked():
    with pytest.raises(TypeError, match="missing argument 'x'"):
        Point()
    with pytest.raises(TypeError, match="takes 2 arguments"):
        Point(1, 2, 3)
    with pytest.raises(TypeError, match="unexpected arguments: z"):
        Point(1, z=3)


def test_mutable_record_factories_init_false_and_post_init():
    a, b = Bag(), Bag([1, 2], label="x")
    a.items.append(7)
    assert Bag().items == []                      # a fresh list per instance
    assert (b.label, b.seen) == ("x", 2)          # init=False set, then __post_init__ ran
    assert repr(b) == "Bag(items=[1, 2], label='x')"
    b.label = "y"
    assert b.label == "y"
    assert Bag.__hash__ is None                   # compared by value and mutable: unhashable
    with pytest.raises(TypeError):
        Bag(seen=3)
