using CsCheck;
using Datacrumbs.Daemon.Journal;

namespace Datacrumbs.Specs.Journal;

public sealed class JournalFieldNamesSpec
{
    [Theory]
    [InlineData("JobId", "DATACRUMBS_JOB_ID")]
    [InlineData("State", "DATACRUMBS_STATE")]
    [InlineData("Unit", "DATACRUMBS_UNIT")]
    [InlineData("User", "DATACRUMBS_USER")]
    [InlineData("FailedState", "DATACRUMBS_FAILED_STATE")]
    [InlineData("Cause", "DATACRUMBS_CAUSE")]
    [InlineData("ReadyMs", "DATACRUMBS_READY_MS")]
    [InlineData("SourceContext", "DATACRUMBS_SOURCE")]
    [InlineData("jobId", "DATACRUMBS_JOB_ID")]
    [InlineData("job.id", "DATACRUMBS_JOB_ID")]
    [InlineData("job_id", "DATACRUMBS_JOB_ID")]
    [InlineData("JOB_ID", "DATACRUMBS_JOB_ID")]
    [InlineData("HTTPServer", "DATACRUMBS_HTTP_SERVER")]
    [InlineData("Run2Id", "DATACRUMBS_RUN2_ID")]
    [InlineData("_private", "DATACRUMBS_PRIVATE")]
    [InlineData("0", "DATACRUMBS_0")]
    [InlineData("a=b\nC", "DATACRUMBS_A_B_C")]
    [InlineData("Zürich", "DATACRUMBS_Z_RICH")]
    [InlineData("", "DATACRUMBS_PROPERTY")]
    [InlineData("...", "DATACRUMBS_PROPERTY")]
    public void Property_names_map_to_upper_snake_case_under_the_prefix(string property, string field) =>
        Assert.Equal(field, JournalFieldNames.ForProperty(property));

    [Fact]
    public void Long_names_are_cut_to_64_characters()
    {
        var field = JournalFieldNames.ForProperty(new string('a', 200));
        Assert.Equal(64, field.Length);
        Assert.True(JournalFieldNames.IsValid(field));
    }

    [Fact]
    public void Any_string_maps_to_a_field_name_journald_accepts() =>
        Gen.String.Sample(name =>
        {
            var field = JournalFieldNames.ForProperty(name);
            return JournalFieldNames.IsValid(field) && field.StartsWith(JournalFieldNames.Prefix, StringComparison.Ordinal);
        });

    [Fact]
    public void Validity_follows_journald()
    {
        Assert.False(JournalFieldNames.IsValid("_PID"));
        Assert.False(JournalFieldNames.IsValid("1ABC"));
        Assert.False(JournalFieldNames.IsValid("lower"));
        Assert.False(JournalFieldNames.IsValid(""));
        Assert.False(JournalFieldNames.IsValid(new string('A', 65)));
        Assert.True(JournalFieldNames.IsValid("MESSAGE"));
    }
}
