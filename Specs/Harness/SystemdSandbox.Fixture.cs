namespace Datacrumbs.Specs.Harness;

/// <summary>The sandbox as an xunit fixture: started before a test class, stopped after it.</summary>
public sealed partial class SystemdSandbox : IAsyncLifetime;
