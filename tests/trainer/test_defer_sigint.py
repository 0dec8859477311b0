"""Ctrl-C during a checkpoint write is held back until the write is done, whichever thread takes the signal."""
import os
import signal
import threading
import time

import pytest

from trainer.models.interrupts import SigintLatch


@pytest.fixture(autouse=True)
def python_sigint_handler():
    """Python's own Ctrl-C handler during each test, whatever the tests were started with (a shell's background job
    inherits SIGINT ignored), and back as it was after."""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)


def _interrupt_from_another_thread():
    t = threading.Thread(target=os.kill, args=(os.getpid(), signal.SIGINT))
    t.start()
    t.join()


def test_the_latch_holds_an_interrupt_back_and_reports_it():
    latch = SigintLatch()
    latch.hold()
    _interrupt_from_another_thread()
    time.sleep(0.05)  # the interpreter would run a pending handler here: no KeyboardInterrupt
    assert latch.release() is True
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_no_interrupt_no_report():
    latch = SigintLatch()
    latch.hold()
    assert latch.release() is False
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert latch.release() is False  # releasing twice is harmless
