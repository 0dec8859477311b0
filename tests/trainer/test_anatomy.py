"""The miss anatomy on scripted hops: each lost word goes to the first stage that lost it, each false alarm to what it
fired on."""

import numpy as np

from kwsapp.core.decisions import Decision
from kwsapp.core.labels import LABELS
from kwsapp.engine.listener import Hop
from trainer.recordings.anatomy import anatomy, anatomy_table


def hop(t_s, label, held="", new=False, announced=None, score=0.7):
    s = np.zeros(len(LABELS), np.float32)
    d = Decision(t_s * 1000, label, score, new, s, held)
    return Hop(t_s * 1000, s, d, new if announced is None else announced, None, 0.1)


def test_each_lost_word_goes_to_the_stage_that_lost_it_and_each_false_alarm_to_what_it_fired_on():
    truth = [(2.0, "yes", "yes/a_nohash_0.wav"), (5.0, "no", "no/b_nohash_0.wav"), (8.0, "up", "up/c_nohash_0.wav"),
             (11.0, "down", "down/d_nohash_0.wav"), (14.0, "unknown", "cat/e_nohash_0.wav"),
             (17.0, "left", "left/f_nohash_0.wav")]
    hops = [hop(2.2, "yes", "threshold", score=0.41),          # on top, its average under the threshold
            hop(5.2, "silence", "not_command"),                 # never on top: silence was
            hop(8.2, "up", "", new=True, announced=False),      # announced by the rule, refused by the verifier
            hop(11.2, "down", "", new=True),                    # correct
            hop(14.2, "left", "", new=True),                    # a false alarm on another word (cat)
            hop(17.2, "right", "", new=True),                   # another command first: wrong
            hop(25.0, "stop", "", new=True)]                    # a false alarm in noise
    a = anatomy(hops, truth)
    assert a["command_words"] == 5 and a["correct"] == 1
    assert a["stages"]["under_threshold"] == 1 and a["stages"]["never_on_top"] == 1
    assert a["stages"]["verifier_refused"] == 1 and a["stages"]["other_word_first"] == 1
    assert sum(a["stages"].values()) == 4
    assert a["false_alarms"] == {"on_other_word": 1, "repeat": 0, "on_command_word": 0, "in_noise": 1}
    assert a["fired_on_words"] == {"cat -> left": 1} and a["never_on_top_instead"] == {"silence": 1}
    lost = {r["label"]: r for r in a["lost"]}
    assert lost["yes"]["detail"] == "best average 0.41" and lost["left"]["detail"] == "right"
    table = anatomy_table({"s": a})
    assert "verifier refused" in table and "20.0%" in table
