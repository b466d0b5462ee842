#!/usr/bin/env bash
# A single-node SLURM cluster on localhost (Debian slurm-wlm + munge), for tests and CI; run as root.
#   slurm/local_cluster.sh install   apt-get the packages
#   slurm/local_cluster.sh start     write /etc/slurm/slurm.conf, start munged, slurmctld, slurmd; wait for 'idle'
#   slurm/local_cluster.sh stop      stop the daemons (by their pid files)
# The configuration is the one in ../shared/docs/ENVIRONMENT.md, with CPUs and memory taken from this machine.
set -euo pipefail

case "${1:-}" in
install)
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null
  ;;
start)
  if sinfo -h -o %T 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
    echo "local SLURM cluster already up"
    exit 0
  fi
  cpus=$(nproc)
  mem=$(($(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 2048))
  mkdir -p /etc/slurm /tmp/slurm/state /tmp/slurm/spool /tmp/slurm/log /run/munge
  cat >/etc/slurm/slurm.conf <<EOF
ClusterName=ci
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
ReturnToService=2
SwitchType=switch/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
StateSaveLocation=/tmp/slurm/state
SlurmdSpoolDir=/tmp/slurm/spool
SlurmctldPidFile=/tmp/slurm/slurmctld.pid
SlurmdPidFile=/tmp/slurm/slurmd.pid
SlurmctldLogFile=/tmp/slurm/log/slurmctld.log
SlurmdLogFile=/tmp/slurm/log/slurmd.log
MaxArraySize=10001
MinJobAge=3600
MailProg=/bin/true
NodeName=localhost NodeAddr=127.0.0.1 CPUs=${cpus} RealMemory=${mem} State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
DependencyParameters=kill_invalid_depend
EOF
  chown munge:munge /run/munge /var/log/munge /var/lib/munge
  [ -f /etc/munge/munge.key ] || { runuser -u munge -- /usr/sbin/mungekey --create 2>/dev/null || true; }
  pgrep -x munged >/dev/null || runuser -u munge -- /usr/sbin/munged --pid-file=/run/munge/munged.pid
  pgrep -x slurmctld >/dev/null || /usr/sbin/slurmctld
  pgrep -x slurmd >/dev/null || /usr/sbin/slurmd -N localhost
  for _ in $(seq 60); do
    if sinfo -h -o %T 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
      echo "local SLURM cluster up: $(sinfo -h -o '%P %D %c %T')"
      exit 0
    fi
    sleep 1
  done
  echo "local SLURM cluster did not come up; see /tmp/slurm/log/" >&2
  exit 1
  ;;
stop)
  for pid in /tmp/slurm/slurmd.pid /tmp/slurm/slurmctld.pid /run/munge/munged.pid; do
    [ -f "$pid" ] && kill "$(cat "$pid")" 2>/dev/null || true
  done
  ;;
*)
  echo "usage: $0 install|start|stop" >&2
  exit 2
  ;;
esac
