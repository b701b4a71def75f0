"""Group commit: what is pending goes in one apply; a failed group is applied
job by job so a bad job fails only its own caller."""

from __future__ import annotations

import asyncio

import pytest

from noc_actors.runtime.group_commit import GroupCommit, Pending


class Book:
    """An all-or-nothing store of numbers: a group containing a negative
    number is refused whole."""

    def __init__(self) -> None:
        self.applies: list[list[int]] = []
        self.stored: list[int] = []
        self.failures = 0

    async def apply(self, group: list[Pending[int, int]]) -> None:
        await asyncio.sleep(0)
        jobs = [p.job for p in group]
        self.applies.append(jobs)
        if any(j < 0 for j in jobs):
            raise ValueError(f"negative in {jobs}")
        self.stored.extend(jobs)
        for p in group:
            p.resolve(p.job * 10)

    def forget(self) -> None:
        self.failures += 1


def writes(book: Book, max_group: int = 128) -> GroupCommit[int, int]:
    return GroupCommit(book.apply, asyncio.Lock(), book.forget, max_group)


async def test_concurrent_submissions_are_applied_together_and_each_gets_its_answer() -> None:
    book = Book()
    gc = writes(book)
    answers = await asyncio.gather(*(gc.submit(n) for n in (1, 2, 3)))
    assert answers == [10, 20, 30] and book.applies == [[1, 2, 3]]
    assert (gc.groups, gc.jobs, gc.largest) == (1, 3, 3)


async def test_a_refused_group_is_applied_job_by_job_and_only_the_bad_job_fails() -> None:
    book = Book()
    gc = writes(book)
    results = await asyncio.gather(*(gc.submit(n) for n in (1, -2, 3)), return_exceptions=True)
    assert results[0] == 10 and results[2] == 30
    assert isinstance(results[1], ValueError)
    assert book.applies == [[1, -2, 3], [1], [-2], [3]] and book.stored == [1, 3]
    assert book.failures == 2  # the group, then the bad job


async def test_a_group_of_one_is_not_retried() -> None:
    book = Book()
    with pytest.raises(ValueError):
        await writes(book).submit(-1)
    assert book.applies == [[-1]]


async def test_groups_are_bounded_and_later_submissions_form_the_next_group() -> None:
    book = Book()
    gc = writes(book, max_group=2)
    assert await asyncio.gather(*(gc.submit(n) for n in range(5))) == [0, 10, 20, 30, 40]
    assert book.applies == [[0, 1], [2, 3], [4]]


async def test_a_caller_that_gives_up_does_not_stop_the_others() -> None:
    book = Book()
    gc = writes(book)
    first = asyncio.ensure_future(gc.submit(1))
    second = asyncio.ensure_future(gc.submit(2))
    await asyncio.sleep(0)
    first.cancel()
    assert await second == 20
    assert book.stored == [1, 2]  # the cancelled job was committed anyway


class SlowBook(Book):
    """Each apply waits until the test opens its gate; records how many
    applies run at once."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()
        self.running = 0
        self.most = 0

    async def apply(self, group: list[Pending[int, int]]) -> None:
        self.running += 1
        self.most = max(self.most, self.running)
        await self.gate.wait()
        self.running -= 1
        await super().apply(group)


async def _two_waves(consumers: int) -> tuple[SlowBook, list[int]]:
    book = SlowBook()
    gc: GroupCommit[int, int] = GroupCommit(book.apply, None, book.forget, 128, consumers)
    first = [asyncio.create_task(gc.submit(n)) for n in (1, 2)]
    await asyncio.sleep(0.01)  # the first group waits on its "database"
    later = [asyncio.create_task(gc.submit(n)) for n in (3, 4)]
    await asyncio.sleep(0.01)
    book.gate.set()
    return book, list(await asyncio.gather(*first, *later))


async def test_with_more_consumers_work_arriving_during_a_commit_starts_another() -> None:
    book, answers = await _two_waves(consumers=2)
    assert answers == [10, 20, 30, 40]
    assert book.most == 2 and sorted(map(sorted, book.applies)) == [[1, 2], [3, 4]]


async def test_with_one_consumer_work_arriving_during_a_commit_waits_for_it() -> None:
    book, answers = await _two_waves(consumers=1)
    assert answers == [10, 20, 30, 40]
    assert book.most == 1 and book.applies == [[1, 2], [3, 4]]


async def test_a_job_submitted_as_the_last_consumer_leaves_is_still_applied() -> None:
    book = Book()
    gc = writes(book)
    assert await gc.submit(1) == 10
    # The consumer has returned; its done-callback may not have run yet.
    assert await asyncio.wait_for(gc.submit(2), 1) == 20
