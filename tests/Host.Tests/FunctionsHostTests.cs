using Serverless.Functions.Hosting;

namespace Serverless.Host.Tests;

public sealed class FunctionsHostTests
{
    [Fact]
    public async Task RunAsync_AppWithBrokenFunctions_Returns1AndPrintsEveryReason()
    {
        // The test assembly holds the Broken fixtures, so the host must refuse it.
        var error = new StringWriter();
        var original = Console.Error;
        Console.SetError(error);
        int exitCode;
        try
        {
            exitCode = await FunctionsHost.RunAsync(["--urls", "http://127.0.0.1:0", "--contentRoot", Path.GetTempPath()], typeof(FunctionsHostTests).Assembly);
        }
        finally
        {
            Console.SetError(original);
        }

        Assert.Equal(1, exitCode);
        var text = error.ToString();
        Assert.StartsWith("The functions host refused to start.", text, StringComparison.Ordinal);
        Assert.Contains("Function 'BadRoute' (Serverless.Host.Tests.Broken.BadRoute.Run): the route 'orders/{id' is malformed", text, StringComparison.Ordinal);
        Assert.Contains("Function 'FiveFieldCron'", text, StringComparison.Ordinal);
    }
}
