using Xunit.Abstractions;
using Xunit.Sdk;

namespace CompanyHub.Browser.Tests.Infrastructure;

/// <summary>
/// A step the running hub cannot do yet (its endpoint is not there): the test stops and is reported as
/// <b>skipped with this reason</b>, never as passed. Thrown only after the test checked what it could.
/// </summary>
public sealed class NotOnThisHubException(string reason) : Exception(reason);

/// <summary>
/// A [Fact] that reports <see cref="NotOnThisHubException"/> as skipped, with its reason, instead of failed. Every other
/// failure fails the test as usual. (xunit 2 has no dynamic skip; this is the known message-bus pattern.)
/// </summary>
[XunitTestCaseDiscoverer("CompanyHub.Browser.Tests.Infrastructure.HubFactDiscoverer", "CompanyHub.Browser.Tests")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class HubFactAttribute : FactAttribute;

public sealed class HubFactDiscoverer(IMessageSink diagnosticMessageSink) : IXunitTestCaseDiscoverer
{
    public IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute)
    {
        yield return new HubFactTestCase(diagnosticMessageSink, discoveryOptions.MethodDisplayOrDefault(), discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod);
    }
}

public sealed class HubFactTestCase : XunitTestCase
{
    [Obsolete("Called by the de-serializer; should only be called by deriving classes for de-serialization purposes")]
    public HubFactTestCase()
    {
    }

    public HubFactTestCase(IMessageSink diagnosticMessageSink, TestMethodDisplay display, TestMethodDisplayOptions options, ITestMethod testMethod)
        : base(diagnosticMessageSink, display, options, testMethod)
    {
    }

    public override async Task<RunSummary> RunAsync(IMessageSink diagnosticMessageSink, IMessageBus messageBus, object[] constructorArguments, ExceptionAggregator aggregator, CancellationTokenSource cancellationTokenSource)
    {
        using var bus = new SkippingMessageBus(messageBus);
        var summary = await base.RunAsync(diagnosticMessageSink, bus, constructorArguments, aggregator, cancellationTokenSource);
        if (bus.Skipped > 0)
        {
            summary.Failed -= bus.Skipped;
            summary.Skipped += bus.Skipped;
        }

        return summary;
    }

    private sealed class SkippingMessageBus(IMessageBus inner) : IMessageBus
    {
        public int Skipped { get; private set; }

        public bool QueueMessage(IMessageSinkMessage message)
        {
            if (message is ITestFailed failed && failed.ExceptionTypes.FirstOrDefault() == typeof(NotOnThisHubException).FullName)
            {
                Skipped++;
                return inner.QueueMessage(new TestSkipped(failed.Test, "NOT RUN ON THIS HUB: " + failed.Messages.FirstOrDefault()));
            }

            return inner.QueueMessage(message);
        }

        public void Dispose()
        {
            // The inner bus belongs to the runner.
        }
    }
}
