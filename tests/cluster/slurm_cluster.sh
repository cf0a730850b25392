#!/usr/bin/env bash
# A throw-away one-node Slurm cluster for the integration tests.
#
#   bash tests/cluster/slurm_cluster.sh start DIR   # install (Debian, root) if needed, start
#   bash tests/cluster/slurm_cluster.sh stop DIR    # stop the daemons started by `start`
#
# `start` writes DIR/env.sh (SLURM_CONF, ALPACASPOT_SLURM=1) to be sourced by the caller and
# exits 0 when the cluster answers, 3 when a cluster is impossible here (the tests then skip).
# No systemd: munged, slurmctld and slurmd are started directly and stopped by their pid files.
set -u

action=${1:?usage: slurm_cluster.sh start|stop DIR}
dir=${2:?usage: slurm_cluster.sh start|stop DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

log() { echo "slurm_cluster: $*" >&2; }

# A daemon is alive when /proc/<pid>/status exists and is not a zombie (PID 1 may reap late).
alive() {
    local pid=$1
    [ -n "$pid" ] && [ -r "/proc/$pid/status" ] && ! grep -q '^State:.*Z' "/proc/$pid/status"
}

stop_daemons() {
    local name pid i
    for name in slurmd slurmctld munged; do
        [ -f "$dir/$name.pid" ] || continue
        pid=$(cat "$dir/$name.pid" 2>/dev/null)
        if alive "$pid"; then
            kill "$pid" 2>/dev/null
            for i in $(seq 1 50); do alive "$pid" || break; sleep 0.1; done
            alive "$pid" && kill -9 "$pid" 2>/dev/null
        fi
        rm -f "$dir/$name.pid"
    done
}

if [ "$action" = stop ]; then
    stop_daemons
    exit 0
fi
[ "$action" = start ] || { log "unknown action $action"; exit 2; }

if ! command -v slurmctld >/dev/null 2>&1 || ! command -v munged >/dev/null 2>&1; then
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        log "slurm is not installed and cannot be installed here (needs root and apt-get)"
        exit 3
    fi
    log "installing slurm-wlm and munge"
    export DEBIAN_FRONTEND=noninteractive
    if ! timeout 300 apt-get install -y -q --no-install-recommends slurm-wlm munge \
            >"$dir/apt.log" 2>&1; then
        timeout 120 apt-get update -q >>"$dir/apt.log" 2>&1
        timeout 300 apt-get install -y -q --no-install-recommends slurm-wlm munge \
            >>"$dir/apt.log" 2>&1 || { log "apt-get failed, see $dir/apt.log"; exit 3; }
    fi
fi
if [ "$(id -u)" != 0 ]; then
    log "starting the daemons needs root"
    exit 3
fi

stop_daemons
mkdir -p "$dir/munge" "$dir/state" "$dir/spool" "$dir/log" "$dir/gpu"
chmod 700 "$dir/munge"

# munge: private key, socket and pid in DIR.
if [ ! -s "$dir/munge/munge.key" ]; then
    if command -v mungekey >/dev/null 2>&1; then
        mungekey --create --keyfile="$dir/munge/munge.key" --force >/dev/null 2>&1
    else
        dd if=/dev/urandom of="$dir/munge/munge.key" bs=1 count=1024 status=none
    fi
    chmod 400 "$dir/munge/munge.key"
fi
socket="$dir/munge/munge.socket"
munged --force --key-file="$dir/munge/munge.key" --socket="$socket" \
    --pid-file="$dir/munged.pid" --log-file="$dir/log/munged.log" \
    --seed-file="$dir/munge/munge.seed" >/dev/null 2>&1 || { log "munged failed"; exit 3; }

# Node size from slurmd -C; RealMemory at 90% so that the node never drains.
node=$(hostname -s)
cpus=$(slurmd -C 2>/dev/null | sed -n 's/.*CPUs=\([0-9]*\).*/\1/p' | head -1)
mem=$(slurmd -C 2>/dev/null | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' | head -1)
cpus=${cpus:-1}
mem=$(( ${mem:-2000} * 9 / 10 ))
ngpu=2
for i in $(seq 0 $((ngpu - 1))); do ln -sfn /dev/null "$dir/gpu/nvidia$i"; done

# Ports picked per cluster so that two clusters on one machine do not collide.
port=$(( 20000 + ($$ % 2000) * 2 ))

cat >"$dir/slurm.conf" <<EOF
ClusterName=alpacaspot
SlurmctldHost=$node(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$socket
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldPort=$port
SlurmdPort=$((port + 1))
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
SwitchType=switch/none
ReturnToService=2
MinJobAge=86400
MaxArraySize=10001
SchedulerType=sched/backfill
SchedulerParameters=bf_interval=1,sched_interval=2
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
GresTypes=gpu
KillWait=5
InactiveLimit=0
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem Gres=gpu:$ngpu State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOF
cat >"$dir/gres.conf" <<EOF
NodeName=$node Name=gpu File=$dir/gpu/nvidia[0-$((ngpu - 1))]
EOF

export SLURM_CONF="$dir/slurm.conf"
slurmctld -f "$SLURM_CONF" -i >/dev/null 2>&1 || { log "slurmctld failed"; exit 3; }
slurmd -f "$SLURM_CONF" >/dev/null 2>&1 || { log "slurmd failed"; exit 3; }

ok=0
for i in $(seq 1 150); do
    state=$(sinfo -h -n "$node" -o '%T' 2>/dev/null | head -1)
    case "$state" in idle*|mixed*|allocated*) ok=1; break ;; esac
    sleep 0.2
done
if [ "$ok" != 1 ]; then
    log "node did not come up (state '${state:-}'); see $dir/log"
    scontrol -f "$SLURM_CONF" update nodename="$node" state=resume >/dev/null 2>&1
    sleep 1
    state=$(sinfo -h -n "$node" -o '%T' 2>/dev/null | head -1)
    case "$state" in idle*|mixed*) ;; *) stop_daemons; exit 3 ;; esac
fi

cat >"$dir/env.sh" <<EOF
export SLURM_CONF=$(printf %q "$SLURM_CONF")
export ALPACASPOT_SLURM=1
export ALPACASPOT_SLURM_GPUS=$ngpu
EOF
log "cluster up: node $node, $cpus cpus, ${mem} MB, $ngpu fake gpus ($dir)"
exit 0
