"""Ctrl-C during a checkpoint write is held back until the write is done, whichever thread takes the signal."""
import os
import signal
import threading
import time

import pytest

from trainer.train import defer_sigint


def _interrupt_from_another_thread():
    t = threading.Thread(target=os.kill, args=(os.getpid(), signal.SIGINT))
    t.start()
    t.join()


def test_sigint_waits_for_the_end_of_the_block():
    done = []
    with pytest.raises(KeyboardInterrupt):
        with defer_sigint():
            _interrupt_from_another_thread()
            time.sleep(0.05)  # the interpreter would run a pending handler here
            done.append("wrote the checkpoint")
    assert done == ["wrote the checkpoint"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_no_signal_no_interrupt():
    with defer_sigint():
        x = 1
    assert x == 1 and signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_the_latch_reports_a_held_back_interrupt_and_restores_the_handler():
    from trainer.train import SigintLatch

    latch = SigintLatch()
    latch.hold()
    _interrupt_from_another_thread()
    time.sleep(0.05)
    assert latch.release() is True
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    latch.hold()
    assert latch.release() is False
