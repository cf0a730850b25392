import time, torch
from alpacaspot.models import build_model, TrainConfig, train
def test_threads(tmp_path, variant_dir, spec_cfg):
    import numba
    net = build_model(width=4)
    x = torch.rand(8,1,24,32)
    cfg = TrainConfig(data_dir=variant_dir, model_dir=tmp_path/"run/models", spectrogram=spec_cfg, window_s=0.4, width=4, batch_size=8, lr=1e-3, scale_lr=False, max_train_epochs=1, epochs_per_eval=1, augmentation=True)
    t=time.time(); train(cfg); print("TRAIN", time.time()-t)
    t=time.time(); [net(x) for _ in range(5)]
    print("THREADS", torch.get_num_threads(), numba.get_num_threads(), time.time()-t)
    import cProfile, pstats
    cProfile.runctx('train(cfg.__class__(**{**cfg.__dict__, "model_dir": tmp_path/"r2/models"}))', globals(), locals(), "/tmp/p2")
    pstats.Stats("/tmp/p2").sort_stats("tottime").print_stats(8)
