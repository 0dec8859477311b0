"""The reference notebook's own code (light-weight-cnn-lb-0.74, cells 17, 19, 23, 25, 26).

Kept verbatim but for the three changes that make it run at all, each marked ``# was:``.
The feature test compares kwsapp's features with it; the export benchmark times its test loop.
"""

import os
from glob import glob

import numpy as np
from scipy import signal
from scipy.io import wavfile

L = 16000
new_sample_rate = L / 2


def log_specgram(audio, sample_rate, window_size=20, step_size=10, eps=1e-10):
    nperseg = int(round(window_size * sample_rate / 1e3))
    noverlap = int(round(step_size * sample_rate / 1e3))
    freqs, times, spec = signal.spectrogram(audio, fs=sample_rate, window='hann', nperseg=nperseg,
                                            noverlap=noverlap, detrend=False)
    return freqs, times, np.log(spec.T.astype(np.float32) + eps)


def pad_audio(samples):
    if len(samples) >= L:
        return samples
    return np.pad(samples, pad_width=(L - len(samples), 0), mode='constant', constant_values=(0, 0))


def features(samples, sample_rate):
    """Cell 23's per-clip steps: pad, resample to 8 kHz, log spectrogram."""
    samples = pad_audio(samples)
    resampled = signal.resample(samples, int(new_sample_rate / sample_rate * samples.shape[0]))
    _, _, specgram = log_specgram(resampled, sample_rate=new_sample_rate)
    return specgram


def test_data_generator(test_data_path, batch=16):
    fpaths = sorted(glob(os.path.join(test_data_path, '*wav')))
    i = 0
    for path in fpaths:
        if i == 0:
            imgs = []
            fnames = []
        i += 1
        rate, samples = wavfile.read(path)
        samples = pad_audio(samples)
        resampled = signal.resample(samples, int(new_sample_rate / rate * samples.shape[0]))
        _, _, specgram = log_specgram(resampled, sample_rate=new_sample_rate)
        imgs.append(specgram)
        fnames.append(os.path.basename(path))                    # was: path.split('\\')[-1]
        if i == batch:
            i = 0
            imgs = np.array(imgs)
            imgs = imgs.reshape(tuple(list(imgs.shape) + [1]))
            yield fnames, imgs
    if 0 < i < batch:
        imgs = np.array(imgs)
        imgs = imgs.reshape(tuple(list(imgs.shape) + [1]))
        yield fnames, imgs
    # was: raise StopIteration()  (a RuntimeError since Python 3.7)


def predict_test_set(model, label_index, test_data_path):
    index, results = [], []
    for fnames, imgs in test_data_generator(test_data_path, batch=32):
        predicts = model.predict(imgs, verbose=0)
        predicts = np.argmax(predicts, axis=1)
        predicts = [label_index[p] for p in predicts]
        index.extend(fnames)                                      # was: index.extend(fname)
        results.extend(predicts)
    return index, results
