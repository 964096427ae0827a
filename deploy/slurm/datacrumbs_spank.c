/*
 * datacrumbs_spank.c: the DataCrumbs options of srun, sbatch and salloc.
 *
 *   srun|sbatch|salloc --datacrumbs-enable --datacrumbs-probe-file=/abs/probes.json.gz ...
 *   #SBATCH --datacrumbs-enable
 *   #SBATCH --datacrumbs-probe-file=/abs/probes.json.gz
 *
 * On the submit side (srun, sbatch, salloc) it checks what can be checked without the
 * node (an absolute path, no control characters, valid UTF-8, shorter than PATH_MAX) and
 * refuses the submission with one "datacrumbs:" line naming the problem; then it hands
 * the request to the node's prolog and epilog through Slurm's job control environment:
 * SPANK_DATACRUMBS_ENABLE=1 and SPANK_DATACRUMBS_PROBE_FILE=PATH. Those are user input:
 * the node's daemon checks the file again, as the job's user, before it traces anything.
 *
 * Decisions (docs/slurm-integration.rst says them to users):
 *  - --datacrumbs-enable without --datacrumbs-probe-file is refused: there is nothing
 *    to trace with.
 *  - --datacrumbs-probe-file without --datacrumbs-enable is ignored with a warning (as
 *    the Flux plugin does): tracing runs a root tracer beside the job, so it is asked
 *    for explicitly, never switched on by a leftover line in a script.
 *  - A submission from inside a job (sbatch or salloc with SLURM_JOB_ID set: a new job)
 *    inherits Slurm's copy of the options through the environment. It is traced only if
 *    its own command line or script asks again: the inherited copies are dropped before
 *    the options are read. srun inside a job starts a step of that job, which the job's
 *    prolog already covered, and is left alone.
 *
 * Only the submit hosts need this plugin for the request to reach the prolog; list it in
 * plugstack.conf on the compute nodes too, so slurmstepd knows the options srun forwards.
 * Build: make -C deploy/slurm (gcc, Debian's libslurm-dev).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <slurm/spank.h>

SPANK_PLUGIN(datacrumbs, 1);

/* Linux PATH_MAX, including the terminating NUL, as the Flux plugin counts it. */
#define DATACRUMBS_PATH_MAX 4096

#define ENABLE_OPTION "datacrumbs-enable"
#define FILE_OPTION "datacrumbs-probe-file"

static int enable_given;
static char probe_file[DATACRUMBS_PATH_MAX];
static int probe_file_given;

/* The length of the UTF-8 sequence at s (1..4), or 0 when s does not start a valid one. */
static size_t utf8_sequence(const unsigned char *s)
{
    size_t n, i;
    unsigned int min;
    unsigned long c;

    if (s[0] < 0x80)
        return 1;
    if ((s[0] & 0xe0) == 0xc0) { n = 2; min = 0x80; c = s[0] & 0x1f; }
    else if ((s[0] & 0xf0) == 0xe0) { n = 3; min = 0x800; c = s[0] & 0x0f; }
    else if ((s[0] & 0xf8) == 0xf0) { n = 4; min = 0x10000; c = s[0] & 0x07; }
    else return 0;
    for (i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3f);
    }
    /* overlong forms, UTF-16 surrogates and code points past Unicode are not UTF-8 */
    if (c < min || (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
        return 0;
    return n;
}

/*
 * Why this path cannot be carried to the node, or NULL. No file system access: the
 * submit host may not see the node's file systems, and the node checks the file as the
 * job's user anyway. A control character could forge lines in the env file and the
 * logs downstream, so it is refused, never escaped.
 */
static const char *path_problem(const char *path)
{
    static char why[96];
    const unsigned char *p;
    size_t n;

    if (path == NULL || path[0] == '\0')
        return "the path is empty";
    for (p = (const unsigned char *) path; *p; p += n) {
        if (*p < 0x20 || *p == 0x7f) {
            snprintf(why, sizeof why, "the path contains a control character (\\x%02x)", *p);
            return why;
        }
        n = utf8_sequence(p);
        if (n == 0)
            return "the path is not valid UTF-8";
    }
    if (strlen(path) >= DATACRUMBS_PATH_MAX) {
        snprintf(why, sizeof why, "the path is longer than %d bytes", DATACRUMBS_PATH_MAX - 1);
        return why;
    }
    if (path[0] != '/')
        return "the path must be absolute (the job's nodes do not share your working "
               "directory): give /full/path/to/probes.json.gz";
    return NULL;
}

static int on_enable(int val, const char *optarg, int remote)
{
    (void) val;
    (void) optarg;
    if (!remote)
        enable_given = 1;
    return 0;
}

static int on_probe_file(int val, const char *optarg, int remote)
{
    const char *problem;

    (void) val;
    if (remote)
        return 0; /* the node side: the prolog reads the job control environment */
    problem = path_problem(optarg);
    if (problem != NULL) {
        slurm_error("datacrumbs: --" FILE_OPTION ": %s", problem);
        return -1;
    }
    strcpy(probe_file, optarg); /* fits: path_problem checked the length */
    probe_file_given = 1;
    return 0;
}

static struct spank_option options[] = {
    { ENABLE_OPTION, NULL,
      "Trace this job's I/O with DataCrumbs on every node (needs --" FILE_OPTION ")",
      0, 0, on_enable },
    { FILE_OPTION, "PATH",
      "Signed DataCrumbs probes file to trace with: an absolute path you can read "
      "(needs --" ENABLE_OPTION ")",
      1, 0, on_probe_file },
    SPANK_OPTIONS_TABLE_END
};

/*
 * Slurm keeps a job's plugin options in its environment for the job's steps and for
 * submissions made from inside it, as _SLURM_SPANK_OPTION_<plugin>_<option> (with an
 * SLURM_SPANK_ prefix in some paths). A new job submitted from inside a job must not
 * inherit a request for tracing: drop those copies before the options are read.
 */
static void drop_inherited_options(void)
{
    extern char **environ;
    static const char *const marks[] = {
        "_SLURM_SPANK_OPTION_datacrumbs_",
        NULL,
    };
    int again = 1;

    while (again) {
        char **e;
        again = 0;
        for (e = environ; e != NULL && *e != NULL; e++) {
            const char *const *m;
            for (m = marks; *m != NULL; m++) {
                const char *at = strstr(*e, *m);
                const char *eq = strchr(*e, '=');
                if (at != NULL && eq != NULL && at < eq) {
                    char name[256];
                    size_t len = (size_t) (eq - *e);
                    if (len >= sizeof name)
                        continue;
                    memcpy(name, *e, len);
                    name[len] = '\0';
                    unsetenv(name);
                    again = 1; /* environ changed under us: start over */
                    break;
                }
            }
            if (again)
                break;
        }
    }
}

/* A new job submitted from inside another job (sbatch or salloc in a job's environment). */
static int nested_submission(void)
{
    const char *job = getenv("SLURM_JOB_ID");
    return spank_context() == S_CTX_ALLOCATOR && job != NULL && job[0] != '\0';
}

int slurm_spank_init(spank_t sp, int ac, char **av)
{
    struct spank_option *o;
    spank_context_t ctx = spank_context();

    (void) ac;
    (void) av;
    if (nested_submission())
        drop_inherited_options();
    for (o = options; o->name != NULL; o++) {
        spank_err_t rc = spank_option_register(sp, o);
        /* Only the submit side must know the options; elsewhere a failure costs nothing. */
        if (rc != ESPANK_SUCCESS && (ctx == S_CTX_LOCAL || ctx == S_CTX_ALLOCATOR)) {
            slurm_error("datacrumbs: cannot register --%s: %s", o->name, spank_strerror(rc));
            return -1;
        }
    }
    return 0;
}

int slurm_spank_init_post_opt(spank_t sp, int ac, char **av)
{
    spank_context_t ctx = spank_context();
    spank_err_t rc;

    (void) ac;
    (void) av;
    if (ctx != S_CTX_LOCAL && ctx != S_CTX_ALLOCATOR)
        return 0;
    /* srun inside an allocation starts a step, not a job: the job's prolog has run. */
    if (ctx == S_CTX_LOCAL && getenv("SLURM_JOB_ID") != NULL)
        return 0;
    if (!enable_given) {
        if (probe_file_given)
            slurm_info("datacrumbs: --" FILE_OPTION " is ignored without --" ENABLE_OPTION
                       ": this job runs untraced (add --" ENABLE_OPTION " to trace it)");
        return 0;
    }
    if (!probe_file_given) {
        slurm_error("datacrumbs: --" ENABLE_OPTION " needs --" FILE_OPTION
                    "=PATH (the signed probes file to trace with): nothing was submitted");
        return -1;
    }
    rc = spank_job_control_setenv(sp, "DATACRUMBS_ENABLE", "1", 1);
    if (rc == ESPANK_SUCCESS)
        rc = spank_job_control_setenv(sp, "DATACRUMBS_PROBE_FILE", probe_file, 1);
    if (rc != ESPANK_SUCCESS) {
        slurm_error("datacrumbs: cannot pass the tracing request to the job's nodes: %s",
                    spank_strerror(rc));
        return -1;
    }
    return 0;
}
