#!/usr/bin/env bash
# Assemble the folder a GPU machine needs for scripts/teacher_device_run.py (molva train --teacher-base first):
# run.py, the new classifier modules, the pruned e5 base, the corpora gzipped. Never commit it.
set -e
REPO=$(cd "$(dirname "$0")/.." && pwd)
G=${G:-.gpu}
rm -rf $G; mkdir -p $G/src/classifier $G/data $G/base
cp $REPO/scripts/teacher_device_run.py $G/run.py
for m in e5convert teacher teacher_train augment; do cp $REPO/classifier/$m.py $G/src/classifier/; done
cp ${BASE:-build/teacher-base}/e5-pruned.bin ${BASE:-build/teacher-base}/tokenizer.json $G/base/
for f in ${DATA:-../shared/data/sentiment}/*.jsonl; do gzip -c $f > $G/data/$(basename $f).gz; done
du -sh $G; du -sh $G/*
