/* jsonc-plain: what libjson-c makes of JSON documents, for Specs/Probes/JsonCPlainSpec.
 * Reads one document a line from stdin; for each prints one line:
 *   mode "plain":   json-c's JSON_C_TO_STRING_PLAIN of the parsed document
 *   mode "payload": the DataCrumbs runtime's signed payload: a new object holding the parsed
 *                   "summary" and "categories" and "checksum_algorithm":"hmac-sha256", PLAIN
 * or "!error" when json-c refuses the line (or, in payload mode, a member is missing). The runtime calls
 * json_tokener_parse, which is json_tokener_parse_verbose without the error: used here so that a
 * document that is just `null` (a NULL object) is told apart from a refusal. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    int payload = argc > 1 && strcmp(argv[1], "payload") == 0;
    char *line = NULL;
    size_t capacity = 0;
    ssize_t length;
    while ((length = getline(&line, &capacity, stdin)) >= 0) {
        if (length > 0 && line[length - 1] == '\n') line[length - 1] = '\0';
        enum json_tokener_error error = json_tokener_success;
        json_object *root = json_tokener_parse_verbose(line, &error);
        if (!root && error == json_tokener_success && !payload) {
            puts("null");
            continue;
        }
        json_object *out = root, *summary = NULL, *categories = NULL;
        if (root && payload) {
            if (!json_object_object_get_ex(root, "summary", &summary) || !json_object_object_get_ex(root, "categories", &categories)) {
                out = NULL;
            } else {
                out = json_object_new_object();
                json_object_object_add(out, "summary", json_object_get(summary));
                json_object_object_add(out, "categories", json_object_get(categories));
                json_object_object_add(out, "checksum_algorithm", json_object_new_string("hmac-sha256"));
            }
        }
        if (out) {
            size_t n = 0;
            const char *text = json_object_to_json_string_length(out, JSON_C_TO_STRING_PLAIN, &n);
            fwrite(text, 1, n, stdout);
            fputc('\n', stdout);
        } else {
            puts("!error");
        }
        if (out && out != root) json_object_put(out);
        if (root) json_object_put(root);
        fflush(stdout);
    }
    free(line);
    return 0;
}
