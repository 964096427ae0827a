#!/bin/bash
# deploy/install.sh: lay out DataCrumbs for Flux (and Slurm) under a root directory (/ or an image tree).
#
#   deploy/install.sh --prefix DIR [--dry-run] [--from BUILD] [--tracer PATH | --standin-tracer]
#                     [--slurm | --no-slurm]
#
# It builds (or takes) the programs and installs everything docs/flux-integration.rst lists
# under "Installed components", then prints the steps it leaves to you: those change the
# running system (systemctl, flux config reload, the secret key) and belong to the admin.
#
# Safe to run again: a file already right is left alone (second run: "0 changed"). Files in
# etc/ are configuration: one you edited is never overwritten; the shipped version is put
# beside it as FILE.dist and the run says so. It checks everything it needs before it
# changes anything, and refuses to start half-configured.
#
# Programs:
#   datacrumbsd, datacrumbs_sign_probes  dotnet publish --self-contained: compute and login
#       nodes rarely carry a .NET runtime, and a self-contained daemon runs on exactly the
#       runtime it was tested with; the cost is about 70 MB on disk per program.
#   datacrumbsctl  NativeAOT: the hooks start it on every prolog and epilog (milliseconds,
#       no runtime needed).
# --from BUILD takes them already built instead, from BUILD/daemon/datacrumbsd,
# BUILD/ctl/datacrumbsctl and BUILD/signer/datacrumbs_sign_probes, each directory with the
# files that program needs (the layout this script publishes to). Framework-dependent builds
# are accepted; they then need the .NET 10 runtime on every node.
#
# Slurm: the SPANK plugin (compiled here with gcc against Slurm's spank.h, Debian's
# libslurm-dev) and the Slurm prolog and epilog hooks, when this machine has Slurm's headers
# (or with --slurm, which then requires them; --no-slurm leaves Slurm out). --from BUILD takes
# the plugin from BUILD/slurm/datacrumbs_spank.so when it is there.
set -euo pipefail
umask 022

readonly me="${0##*/}"
readonly repo="$(cd "$(dirname "$0")/.." && pwd)"
readonly manifest_rel="var/lib/datacrumbs/conffiles"

prefix=""
dry_run=0
from=""
tracer=""
flux_cmd=""
standin=0
slurm=auto
readonly spank_header=/usr/include/slurm/spank.h
slurm_build=""
build_dir="$repo/artifacts/install"
changed=0
unchanged=0
kept=()

usage() {
    cat <<EOF
usage: $me --prefix DIR [--dry-run] [--from BUILD] [--tracer PATH | --standin-tracer]

  --prefix DIR        root of the installation: / on a node, or an image/staging tree
  --dry-run           say what would be done; change nothing, build nothing
  --from BUILD        take built programs from BUILD/{daemon,ctl,signer} instead of publishing
  --build-dir DIR     where to publish (default $repo/artifacts/install)
  --tracer PATH       the DataCrumbs tracer on the target system; /usr/libexec/datacrumbs/
                      datacrumbs-tracer becomes a symlink to it (needed on the first run)
  --standin-tracer    link the STAND-IN tracer instead (attaches no probes: demos and tests)
  --slurm             also install the Slurm SPANK plugin and hooks (needs gcc, make and
                      $spank_header: Debian's libslurm-dev); default: when that header is here
  --no-slurm          leave Slurm out
  --flux PATH         the flux command the daemon reads jobspecs with (FluxCommand in a new
                      datacrumbsd.json); default: the flux on this PATH, else /opt/flux/bin/flux
                      when present, else "flux" (the daemon's PATH: /usr/bin/flux)
EOF
}

die_usage() { echo "$me: $*" >&2; echo "$me: see --help" >&2; exit 2; }

while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) [ $# -ge 2 ] || die_usage "--prefix needs a directory"; prefix="$2"; shift 2 ;;
        --prefix=*) prefix="${1#*=}"; shift ;;
        --from) [ $# -ge 2 ] || die_usage "--from needs a directory"; from="$2"; shift 2 ;;
        --from=*) from="${1#*=}"; shift ;;
        --build-dir) [ $# -ge 2 ] || die_usage "--build-dir needs a directory"; build_dir="$2"; shift 2 ;;
        --tracer) [ $# -ge 2 ] || die_usage "--tracer needs a path"; tracer="$2"; shift 2 ;;
        --tracer=*) tracer="${1#*=}"; shift ;;
        --standin-tracer) standin=1; shift ;;
        --flux) [ $# -ge 2 ] || die_usage "--flux needs a path"; flux_cmd="$2"; shift 2 ;;
        --flux=*) flux_cmd="${1#*=}"; shift ;;
        --slurm) slurm=yes; shift ;;
        --no-slurm) slurm=no; shift ;;
        --dry-run) dry_run=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) die_usage "unknown argument '$1'" ;;
    esac
done

# --- Checks: everything is decided before anything is changed. ---------------------------------
problems=()
problem() { problems+=("$*"); }

prefix_given="$prefix"
[ -n "$prefix" ] || problem "--prefix is required (use --prefix / to install on this machine)"
if [ -n "$prefix" ]; then
    case "$prefix" in /*) ;; *) problem "--prefix must be an absolute path, not '$prefix'" ;; esac
    [ ! -e "$prefix" ] || [ -d "$prefix" ] || problem "--prefix $prefix exists and is not a directory"
    prefix="${prefix%/}"
fi
if [ -n "$prefix_given" ] && [ -z "$prefix" ] && [ "$(id -u)" -ne 0 ] && [ "$dry_run" -eq 0 ]; then
    problem "installing into / needs root" # --prefix / (its trailing slash stripped)
fi

sources=(
    deploy/systemd/datacrumbs@.service deploy/systemd/datacrumbsd.service
    deploy/systemd/datacrumbsd.socket deploy/systemd/datacrumbsd-hooks.socket
    deploy/systemd/datacrumbs_sign_probes.service
    deploy/flux/datacrumbs_service_run.sh deploy/flux/datacrumbs_service_stop.sh deploy/flux/datacrumbs_hook_args.sh
    deploy/flux/datacrumbs_service_wrapper deploy/flux/cli/plugins/datacrumbs.py
    deploy/flux/job-manager.toml deploy/config/datacrumbsd.json
    Host/Signer/signer.example.json Host/StandInTracer/datacrumbs-standin-tracer
    deploy/slurm/datacrumbs_spank.c deploy/slurm/Makefile deploy/slurm/plugstack.conf
    deploy/slurm/datacrumbs_slurm_prolog.sh deploy/slurm/datacrumbs_slurm_epilog.sh deploy/slurm/datacrumbs_slurm_hook_args.sh
)
for f in "${sources[@]}"; do [ -f "$repo/$f" ] || problem "missing source file $repo/$f"; done

# Slurm: a prebuilt plugin (--from), else one compiled here, which needs Slurm's header and a compiler.
slurm_plugin=""
[ -n "$from" ] && [ -f "$from/slurm/datacrumbs_spank.so" ] && slurm_plugin="$from/slurm/datacrumbs_spank.so"
slurm_missing=""
if [ -z "$slurm_plugin" ]; then
    for need in "$spank_header" gcc make; do
        [ -e "$need" ] || command -v "$need" >/dev/null || slurm_missing="$slurm_missing $need"
    done
fi
case "$slurm" in
    auto) if [ -n "$slurm_plugin" ] || [ -z "$slurm_missing" ]; then slurm=yes; else slurm=no; fi ;;
    yes) [ -z "$slurm_missing" ] || problem "--slurm: cannot build the SPANK plugin without$slurm_missing (Debian: apt-get install libslurm-dev gcc make)" ;;
esac

tracer_link="$prefix/usr/libexec/datacrumbs/datacrumbs-tracer"
if [ -n "$tracer" ] && [ "$standin" -eq 1 ]; then
    problem "give --tracer PATH or --standin-tracer, not both"
elif [ -n "$tracer" ]; then
    case "$tracer" in /*) ;; *) problem "--tracer must be an absolute path on the target system, not '$tracer'" ;; esac
elif [ "$standin" -eq 0 ] && [ ! -L "$tracer_link" ]; then
    problem "no tracer: give --tracer PATH (the DataCrumbs runtime on the nodes) or, for demos and tests only, --standin-tracer"
fi

if [ -n "$from" ]; then
    if ! from="$(cd "$from" 2>/dev/null && pwd)"; then
        problem "--from: no such directory"
    else
        for program in daemon/datacrumbsd ctl/datacrumbsctl signer/datacrumbs_sign_probes; do
            [ -x "$from/$program" ] || problem "--from: $from/$program is missing or not executable"
        done
    fi
else
    command -v dotnet >/dev/null || problem "dotnet is not on PATH: install the .NET 10 SDK, or give --from BUILD"
    case "$(uname -m)" in
        x86_64) rid=linux-x64 ;;
        aarch64) rid=linux-arm64 ;;
        *) problem "no .NET runtime identifier known for $(uname -m): publish yourself and give --from" ;;
    esac
fi

# A Flux under a prefix (/opt/flux) is on no service's PATH: name it in the daemon's configuration.
if [ -z "$flux_cmd" ]; then
    flux_cmd="$(command -v flux 2>/dev/null || true)"
    [ -z "$flux_cmd" ] && [ -x /opt/flux/bin/flux ] && flux_cmd=/opt/flux/bin/flux
    case "$flux_cmd" in /usr/bin/flux|/bin/flux|'') flux_cmd=flux ;; esac
fi
case "$flux_cmd" in *[\"\\\|\&]*|*[[:cntrl:]]*) problem "--flux: unusable path '$flux_cmd' (quote, backslash, |, & or control character)" ;; esac

# Where that Flux reads its system instance's configuration and its CLI plugins: <confdir>/system/conf.d
# and <confdir>/cli/plugins, confdir as the Flux itself reports it (/opt/flux/etc/flux under a prefix).
# A Flux that cannot be asked here (not on this host): a packaged Flux's /etc/flux.
flux_confdir=/etc/flux
if reported="$(timeout 10 "$flux_cmd" config builtin confdir 2>/dev/null)"; then
    case "$reported" in /*[![:print:]]*|*[\"\\\|\&\ ]*) ;; /*) flux_confdir="$reported" ;; esac
fi

if [ ${#problems[@]} -gt 0 ]; then
    for p in "${problems[@]}"; do echo "$me: $p" >&2; done
    echo "$me: nothing was changed" >&2
    exit 2
fi

# --- Helpers: each one changes a path only when it differs from what it should be. -------------
step() { echo; echo "== $*"; }
note() { echo "   $*"; }
report() { # report STATUS PATH [DETAIL]
    local status="$1" path="$2"
    shift 2
    case "$status" in
        unchanged|kept*) unchanged=$((unchanged + 1)) ;;
        *) changed=$((changed + 1)); [ "$dry_run" -eq 0 ] || status="would: $status" ;;
    esac
    printf '   %-20s %s%s\n' "$status" "/${path#"$prefix"/}" "${1:+  ($1)}"
}

mode_of() { stat -c '%a' "$1"; }

declare -A planned_dirs=()
ensure_dir() { # ensure_dir PATH: a directory (or a link to one: /sbin -> usr/sbin on merged-/usr systems)
    local dir="$1"
    [ -d "$dir" ] && return
    [ -n "${planned_dirs[$dir]:-}" ] && return # a dry run reports each new directory once
    planned_dirs[$dir]=1
    report "created dir" "$dir"
    [ "$dry_run" -eq 1 ] || mkdir -p -m 0755 "$dir"
}

# put SRC DEST MODE: DEST gets SRC's content and MODE, replaced atomically (a running
# program keeps its old file; the next start sees the new one).
put() {
    local src="$1" dest="$2" mode="$3"
    if [ -f "$dest" ] && [ ! -L "$dest" ] && cmp -s "$src" "$dest"; then
        if [ "$(mode_of "$dest")" = "${mode#0}" ]; then
            report unchanged "$dest"
        else
            report "mode $mode" "$dest"
            [ "$dry_run" -eq 1 ] || chmod "$mode" "$dest"
        fi
        return
    fi
    ensure_dir "$(dirname "$dest")"
    report "$([ -e "$dest" ] && echo updated || echo installed)" "$dest"
    [ "$dry_run" -eq 1 ] && return
    local tmp
    tmp="$(mktemp "$(dirname "$dest")/.${dest##*/}.XXXXXX")"
    cp -- "$src" "$tmp"
    chmod "$mode" "$tmp"
    mv -fT -- "$tmp" "$dest"
}

# link TARGET DEST: DEST is a symlink to TARGET.
link() {
    local target="$1" dest="$2"
    if [ -L "$dest" ] && [ "$(readlink "$dest")" = "$target" ]; then
        report unchanged "$dest" "-> $target"
        return
    fi
    ensure_dir "$(dirname "$dest")"
    if [ -e "$dest" ] && [ ! -L "$dest" ]; then
        report "replaced by link" "$dest" "-> $target; it was a regular file"
    else
        report linked "$dest" "-> $target"
    fi
    [ "$dry_run" -eq 1 ] && return
    ln -sfn -- "$target" "$dest.new.$$"
    mv -fT -- "$dest.new.$$" "$dest"
}

# sync_dir SRC DEST: DEST holds exactly SRC's files (same content, executables 0755, others 0644).
sync_dir() {
    local src="$1" dest="$2" rel
    ensure_dir "$dest"
    while IFS= read -r -d '' rel; do
        rel="${rel#./}"
        if [ -x "$src/$rel" ]; then put "$src/$rel" "$dest/$rel" 0755; else put "$src/$rel" "$dest/$rel" 0644; fi
    done < <(cd "$src" && find -L . -type f -print0 | sort -z)
    [ -d "$dest" ] || return 0
    while IFS= read -r -d '' rel; do
        rel="${rel#./}"
        if [ ! -f "$src/$rel" ]; then
            report removed "$dest/$rel" "not part of this build"
            [ "$dry_run" -eq 1 ] || rm -f -- "$dest/$rel"
        fi
    done < <(cd "$dest" && find . -type f -print0 | sort -z)
}

manifest="$prefix/$manifest_rel"
recorded_sum() { [ -f "$manifest" ] && awk -v p="$1" '$2 == p { print $1 }' "$manifest" || true; }
record_sum() { # record_sum PATH SUM: the checksum of the configuration file as this script wrote it
    local path="$1" sum="$2" tmp
    [ "$(recorded_sum "$path")" = "$sum" ] && return
    [ "$dry_run" -eq 1 ] && return
    mkdir -p -m 0755 "$(dirname "$manifest")"
    tmp="$(mktemp "$manifest.XXXXXX")"
    { [ -f "$manifest" ] && awk -v p="$path" '$2 != p' "$manifest"; echo "$sum $path"; } >"$tmp"
    chmod 0644 "$tmp"
    mv -fT -- "$tmp" "$manifest"
}

# conf SRC DEST MODE: a configuration file. New: installed. Same as shipped: left alone.
# Different, and still what this script wrote last time: updated. Edited since: kept, and
# the shipped version goes beside it as DEST.dist.
conf() {
    local src="$1" dest="$2" mode="$3" rel="/${2#"$prefix"/}" new_sum
    new_sum="$(sha256sum <"$src" | cut -d' ' -f1)"
    if [ ! -e "$dest" ] || { [ -f "$dest" ] && cmp -s "$src" "$dest"; }; then
        put "$src" "$dest" "$mode"
        record_sum "$rel" "$new_sum"
        return
    fi
    local current_sum
    current_sum="$(sha256sum <"$dest" | cut -d' ' -f1)"
    if [ "$current_sum" = "$(recorded_sum "$rel")" ]; then
        put "$src" "$dest" "$mode"
        record_sum "$rel" "$new_sum"
        return
    fi
    report "kept (edited)" "$dest" "your version stays; the shipped one is $rel.dist: diff them"
    kept+=("$rel")
    put "$src" "$dest.dist" 0644
}

# --- 1. Programs ---------------------------------------------------------------------------------
if [ -z "$from" ]; then
    step "1. Publishing the programs into $build_dir ($rid)"
    publish() { # publish PROJECT OUT ARGS...
        local project="$1" out="$2"
        shift 2
        note "dotnet publish $project -c Release -r $rid -o $out $*"
        [ "$dry_run" -eq 1 ] && return
        rm -rf -- "$out"
        dotnet publish "$repo/$project" -c Release -r "$rid" -o "$out" --nologo -v quiet "$@" >&2
    }
    # ReadyToRun: the daemon's own and its libraries' code precompiled. Start to serving takes
    # 0.9 s of CPU instead of 1.4 (prologs wait through a restart), and its dirty memory is
    # 1.3 MiB smaller; RSS is 6 MiB larger, all of it clean file pages the kernel can drop
    # (docs/performance.rst, "Start and memory of the published daemon").
    publish Host/Daemon/Daemon.csproj "$build_dir/daemon" --self-contained -p:DebugType=none -p:PublishReadyToRun=true
    publish Host/Signer/Signer.csproj "$build_dir/signer" --self-contained -p:DebugType=none
    publish Host/Ctl/Ctl.csproj "$build_dir/ctl" -p:DebugType=none # NativeAOT (PublishAot in Ctl.csproj)
    from="$build_dir"
    [ "$dry_run" -eq 0 ] || note "(dry run: nothing published; the steps below show the layout)"
else
    step "1. Taking the built programs from $from"
fi
if [ -f "$from/daemon/datacrumbsd.runtimeconfig.json" ] && ! grep -q includedFrameworks "$from/daemon/datacrumbsd.runtimeconfig.json"; then
    note "datacrumbsd is framework-dependent: every node needs the .NET 10 runtime (dotnet on PATH or in /usr/share/dotnet)"
fi

step "2. Programs under /usr/lib/datacrumbs, commands as links to them"
if [ -d "$from/daemon" ]; then
    sync_dir "$from/daemon" "$prefix/usr/lib/datacrumbs/daemon"
    sync_dir "$from/ctl" "$prefix/usr/lib/datacrumbs/ctl"
    sync_dir "$from/signer" "$prefix/usr/lib/datacrumbs/signer"
fi
link ../lib/datacrumbs/daemon/datacrumbsd "$prefix/usr/sbin/datacrumbsd"
link ../lib/datacrumbs/signer/datacrumbs_sign_probes "$prefix/usr/sbin/datacrumbs_sign_probes"
link ../lib/datacrumbs/ctl/datacrumbsctl "$prefix/usr/bin/datacrumbsctl"
put "$repo/deploy/flux/datacrumbs_service_wrapper" "$prefix/usr/bin/datacrumbs_service_wrapper" 0755

step "3. The tracer: /usr/libexec/datacrumbs/datacrumbs-tracer (run by datacrumbs@.service)"
if [ -n "$tracer" ]; then
    [ -x "$prefix$tracer" ] || [ -x "$tracer" ] || note "warning: $tracer does not exist yet; the link dangles until the DataCrumbs runtime is installed"
    link "$tracer" "$tracer_link"
elif [ "$standin" -eq 1 ]; then
    note "the STAND-IN tracer attaches no probes: for demos and tests only"
    put "$repo/Host/StandInTracer/datacrumbs-standin-tracer" "$prefix/usr/libexec/datacrumbs/datacrumbs-standin-tracer" 0755
    link datacrumbs-standin-tracer "$tracer_link"
else
    report unchanged "$tracer_link" "-> $(readlink "$tracer_link"); kept"
fi

step "4. Flux hooks in /sbin (job-manager prolog and epilog)"
ensure_dir "$prefix/sbin"
put "$repo/deploy/flux/datacrumbs_service_run.sh" "$prefix/sbin/datacrumbs_service_run.sh" 0755
put "$repo/deploy/flux/datacrumbs_service_stop.sh" "$prefix/sbin/datacrumbs_service_stop.sh" 0755
# Sourced by both hooks from their own directory; not a program.
put "$repo/deploy/flux/datacrumbs_hook_args.sh" "$prefix/sbin/datacrumbs_hook_args.sh" 0644

if [ "$slurm" = yes ]; then
    step "4b. Slurm: the SPANK plugin in /usr/lib/datacrumbs/slurm, the prolog and epilog hooks in /sbin"
    if [ -z "$slurm_plugin" ]; then
        note "make -C deploy/slurm (gcc against $spank_header)"
        if [ "$dry_run" -eq 0 ]; then
            slurm_build="$(mktemp -d)" # removed by the EXIT trap below
            make -s -C "$repo/deploy/slurm" OUT="$slurm_build" CFLAGS=-O2 >&2
            slurm_plugin="$slurm_build/datacrumbs_spank.so"
        fi
    fi
    if [ -n "$slurm_plugin" ]; then
        put "$slurm_plugin" "$prefix/usr/lib/datacrumbs/slurm/datacrumbs_spank.so" 0755
    else
        ensure_dir "$prefix/usr/lib/datacrumbs/slurm"
        report installed "$prefix/usr/lib/datacrumbs/slurm/datacrumbs_spank.so" "built by make"
    fi
    put "$repo/deploy/slurm/datacrumbs_slurm_prolog.sh" "$prefix/sbin/datacrumbs_slurm_prolog.sh" 0755
    put "$repo/deploy/slurm/datacrumbs_slurm_epilog.sh" "$prefix/sbin/datacrumbs_slurm_epilog.sh" 0755
    # Sourced by both Slurm hooks from their own directory, beside datacrumbs_hook_args.sh; not a program.
    put "$repo/deploy/slurm/datacrumbs_slurm_hook_args.sh" "$prefix/sbin/datacrumbs_slurm_hook_args.sh" 0644
fi

step "5. Configuration in /etc/datacrumbs (yours to edit: never overwritten once edited)"
conf "$repo/deploy/systemd/datacrumbs@.service" "$prefix/etc/datacrumbs/systemd/datacrumbs@.service" 0644
conf "$repo/deploy/systemd/datacrumbsd.service" "$prefix/etc/datacrumbs/systemd/datacrumbsd.service" 0644
conf "$repo/deploy/systemd/datacrumbsd.socket" "$prefix/etc/datacrumbs/systemd/datacrumbsd.socket" 0644
conf "$repo/deploy/systemd/datacrumbsd-hooks.socket" "$prefix/etc/datacrumbs/systemd/datacrumbsd-hooks.socket" 0644
conf "$repo/deploy/systemd/datacrumbs_sign_probes.service" "$prefix/etc/datacrumbs/systemd/datacrumbs_sign_probes.service" 0644
conf "$repo/deploy/flux/cli/plugins/datacrumbs.py" "$prefix/etc/datacrumbs/flux/cli/plugins/datacrumbs.py" 0644
conf "$repo/deploy/flux/job-manager.toml" "$prefix/etc/datacrumbs/flux/job-manager.toml" 0644
daemon_conf="$(mktemp)"
trap 'rm -f "$daemon_conf"; [ -z "$slurm_build" ] || rm -rf "$slurm_build"' EXIT
sed "s|\"FluxCommand\": \"flux\"|\"FluxCommand\": \"$flux_cmd\"|" "$repo/deploy/config/datacrumbsd.json" >"$daemon_conf"
conf "$daemon_conf" "$prefix/etc/datacrumbs/datacrumbsd.json" 0644
conf "$repo/Host/Signer/signer.example.json" "$prefix/etc/datacrumbs/signer.json" 0644
if [ "$slurm" = yes ]; then conf "$repo/deploy/slurm/plugstack.conf" "$prefix/etc/datacrumbs/slurm/plugstack.conf" 0644; fi

# --- Summary and what is left to the admin --------------------------------------------------------
echo
if [ "$dry_run" -eq 1 ]; then
    echo "$me: dry run: $changed would change, $unchanged already right; nothing was changed"
else
    echo "$me: $changed changed, $unchanged unchanged under ${prefix:-/}"
fi
for k in "${kept[@]}"; do echo "$me: kept your $k; compare with $k.dist and merge by hand"; done

where=""
[ -n "$prefix" ] && where=" (paths as on the target system, where ${prefix} is /)"
cat <<EOF

Remaining steps$where, as root:

 Every compute node:
   # site probe secret: the login node's file, where the DataCrumbs runtime reads it (root, 0400;
   # docs/probes.rst). Without it the runtime makes its own and refuses every signed file.
   # Copy it in; never re-create an existing secret (every signed file would then be refused).
   install -d /usr/local/share/datacrumbs/data   # then copy .datacrumbs-probe-secret in, mode 0400
   # the Flux instance owner must be in AllowedCallers: the installed example lists "flux"
   # (the daemon's built-in default is none: root only)
   \${EDITOR:-vi} /etc/datacrumbs/datacrumbsd.json
   ln -sf /etc/datacrumbs/systemd/datacrumbs@.service /etc/systemd/system/datacrumbs@.service
   ln -sf /etc/datacrumbs/systemd/datacrumbsd.service /etc/systemd/system/datacrumbsd.service
   # systemd holds the daemon's two sockets (socket activation): a restart refuses no prolog
   # (a node without the "flux" group, Slurm only: the hooks' socket root-only, docs/operations.rst)
   ln -sf /etc/datacrumbs/systemd/datacrumbsd.socket /etc/systemd/system/datacrumbsd.socket
   ln -sf /etc/datacrumbs/systemd/datacrumbsd-hooks.socket /etc/systemd/system/datacrumbsd-hooks.socket
   systemctl daemon-reload
   systemctl enable --now datacrumbsd.socket datacrumbsd-hooks.socket datacrumbsd.service
   datacrumbsctl status

 Flux (system instance; see docs/flux-integration.rst if it already runs a prolog):
   cp /etc/datacrumbs/flux/job-manager.toml $flux_confdir/system/conf.d/datacrumbs.toml
   $flux_cmd config reload && $flux_cmd jobtap load perilog.so   # reload alone does not load perilog.so
   $flux_cmd jobtap list | grep perilog          # the hooks are active only when this shows it
   ln -sf /etc/datacrumbs/flux/cli/plugins/datacrumbs.py $flux_confdir/cli/plugins/datacrumbs.py
                                            # login/submit nodes and the rank 0 node
   # $flux_confdir: what '$flux_cmd config builtin confdir' reports here (a packaged Flux: /etc/flux)
 Slurm (docs/slurm-integration.rst), when installed above: every submit host and compute node
   ln -sf /etc/datacrumbs/slurm/plugstack.conf /etc/slurm/plugstack.conf.d/datacrumbs.conf
   # slurm.conf on every node, then 'scontrol reconfigure':
   #   Prolog=/sbin/datacrumbs_slurm_prolog.sh   Epilog=/sbin/datacrumbs_slurm_epilog.sh
   #   PrologFlags=Alloc   PrologEpilogTimeout=720
 Hosts without systemd: datacrumbsd runs the tracer itself (Backend Auto picks Process);
   start /usr/sbin/datacrumbsd from your init system as root, restarted when it exits.
 Login node (probe signer):
   s=/usr/local/share/datacrumbs/data/.datacrumbs-probe-secret   # made once: never over an existing one
   [ -e "\$s" ] || (umask 277; install -d "\${s%/*}"; openssl rand -hex 32 | tr -d '\\n' > "\$s")
   ln -sf /etc/datacrumbs/systemd/datacrumbs_sign_probes.service /etc/systemd/system/datacrumbs_sign_probes.service
   systemctl daemon-reload
   systemctl enable --now datacrumbs_sign_probes.service
EOF
