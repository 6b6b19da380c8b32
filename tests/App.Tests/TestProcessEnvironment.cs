using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using CompanyHub.Fakes;

namespace CompanyHub.Tests;

/// <summary>
/// The hubs these tests start in this process read the process's environment, and so do the child processes they
/// start: before any test runs, the machine's credentials and backup settings (<see cref="HubLaunch.MachineSettings"/>,
/// e.g. the S3_* lines of <c>eval "$(scripts/services env)"</c>) are removed, so each hub has only the settings its test gives.
/// </summary>
internal static class TestProcessEnvironment
{
    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255:The 'ModuleInitializer' attribute should not be used in libraries", Justification = "A test assembly: it must run before any test builds a hub.")]
    internal static void ForgetMachineSettings()
    {
        foreach (var name in HubLaunch.MachineSettings)
        {
            Environment.SetEnvironmentVariable(name, null);
        }
    }
}
