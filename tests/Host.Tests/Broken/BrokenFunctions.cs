using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;
using Serverless.Functions;

namespace Serverless.Host.Tests.Broken;

// Each class holds functions the host must refuse; the tests pass them one class at a time.

public static class DuplicateA
{
    [Function("Same")]
    public static string First([ActivityTrigger] string input) => input;
}

public static class DuplicateB
{
    [Function("same")]
    public static string Second([ActivityTrigger] string input) => input;
}

public static class WrongTriggerType
{
    [Function(nameof(WrongTriggerType))]
    public static string Run([HttpTrigger(AuthorizationLevel.Anonymous, "get")] string req) => req;
}

public static class UnsupportedParameter
{
    // Deliberately wrong (the host must refuse the ILogger parameter), so Microsoft's analyzer objects too.
#pragma warning disable DURABLE0010
    [Function(nameof(UnsupportedParameter))]
    public static Task<string> Run([OrchestrationTrigger] TaskOrchestrationContext context, ILogger logger) => Task.FromResult("x");
#pragma warning restore DURABLE0010
}

public static class BadRoute
{
    [Function(nameof(BadRoute))]
    public static string Run([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "orders/{id")] HttpRequest req) => "x";
}

public static class FiveFieldCron
{
    [Function(nameof(FiveFieldCron))]
    public static void Run([TimerTrigger("*/5 * * * *")] TimerInfo timer)
    {
    }
}

public static class OutOfRangeCron
{
    [Function(nameof(OutOfRangeCron))]
    public static void Run([TimerTrigger("0 61 * * * *")] TimerInfo timer)
    {
    }
}

public static class NeverFiresCron
{
    [Function(nameof(NeverFiresCron))]
    public static void Run([TimerTrigger("0 0 0 30 2 *")] TimerInfo timer)
    {
    }
}

public static class NoTrigger
{
    [Function(nameof(NoTrigger))]
    public static string Run(string input) => input;
}

public static class BodyOnGet
{
    [Function(nameof(BodyOnGet))]
    public static string Run([HttpTrigger(AuthorizationLevel.Anonymous, "get")] HttpRequest req, NoteBody body) => body.Text;
}

public sealed record NoteBody(string Text);

public static class BadName
{
    [Function("9 lives")]
    public static string Run([ActivityTrigger] string input) => input;
}

public static class ReservedRoute
{
    [Function(nameof(ReservedRoute))]
    public static string Run([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "runtime/webhooks/mine")] HttpRequest req) => "x";
}
