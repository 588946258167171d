#!/bin/bash
# A one-node Slurm cluster on this machine, everything under one folder (no /etc edits): munged on its own
# socket, slurmctld + slurmd reading DIR/slurm.conf. For the Slurm test only (test/unit/trainingSlurmReal.test.ts).
#   localCluster.sh start DIR   → prints SLURM_CONF=DIR/slurm.conf once the node is idle (exit 0), else why (exit 1)
#   localCluster.sh stop DIR    → stops the daemons it started (by their pid files)
set -uo pipefail
cmd="$1"; dir="$2"
if [ "$cmd" = stop ]; then
  for p in slurmd slurmctld munged; do [ -f "$dir/$p.pid" ] && kill "$(cat "$dir/$p.pid")" 2>/dev/null; done
  exit 0
fi
mkdir -p "$dir"/{state,spool,log}
chmod 700 "$dir"
host="$(hostname -s)"
cpus="$(nproc)"
mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 / 2 ))
dd if=/dev/urandom of="$dir/munge.key" bs=1024 count=1 status=none
chmod 400 "$dir/munge.key"
munged --socket="$dir/munge.sock" --key-file="$dir/munge.key" --pid-file="$dir/munged.pid" \
  --log-file="$dir/log/munged.log" --seed-file="$dir/munge.seed" --force || { echo "munged did not start"; exit 1; }
cat > "$dir/slurm.conf" <<CONF
ClusterName=sealens-test
SlurmctldHost=$host
AuthType=auth/munge
# cred_expire also sets how long a requeued job waits before it may start again (default 120 s; 5 here)
AuthInfo=socket=$dir/munge.sock,cred_expire=5
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$(( 20000 + RANDOM % 20000 ))
SlurmdPort=$(( 40000 + RANDOM % 20000 ))
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SchedulerType=sched/builtin
# schedule every 2 s, not every 60 s: a requeued job starts as soon as it may
SchedulerParameters=sched_interval=2
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
KillWait=30
MinJobAge=600
JobRequeue=1
MpiDefault=none
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$dir/slurm.conf"
slurmctld -f "$SLURM_CONF" || { echo "slurmctld did not start: $(tail -3 "$dir/log/slurmctld.log")"; exit 1; }
slurmd -f "$SLURM_CONF" || { echo "slurmd did not start: $(tail -3 "$dir/log/slurmd.log")"; exit 1; }
for _ in $(seq 1 40); do
  state="$(sinfo -h -o %T 2>/dev/null)"
  case "$state" in idle*|mixed*) echo "SLURM_CONF=$SLURM_CONF"; exit 0;; esac
  sleep 0.5
done
echo "the node did not become idle (sinfo: ${state:-no answer}; $(tail -2 "$dir/log/slurmd.log" 2>/dev/null))"
exit 1
