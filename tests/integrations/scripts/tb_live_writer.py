"""A training job writing TensorBoard logs with torch's SummaryWriter, slowly, for the
--follow tests: LOGDIR, then it waits for LOGDIR/go before a second run folder and the end."""

import os
import sys
import time

from torch.utils.tensorboard import SummaryWriter

logdir = sys.argv[1]
w = SummaryWriter(os.path.join(logdir, "first"))
for i in range(10):
    w.add_scalar("Loss/train", 1.0 / (i + 1), i)
    w.flush()
    time.sleep(0.05)
open(os.path.join(logdir, "ten"), "w").close()
while not os.path.exists(os.path.join(logdir, "go")):
    time.sleep(0.05)
w2 = SummaryWriter(os.path.join(logdir, "second"))
for i in range(5):
    w.add_scalar("Loss/train", 0.05, 10 + i)
    w2.add_scalar("eval/loss", 2.0 - i * 0.1, i)
w.close()
w2.close()
