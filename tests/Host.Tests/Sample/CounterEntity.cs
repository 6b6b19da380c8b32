using Microsoft.DurableTask.Entities;

namespace Serverless.Host.Tests.Sample;

/// <summary>A counter entity dispatched to by the Counter entity function.</summary>
public sealed class CounterEntity : TaskEntity<int>
{
    public void Add(int amount) => State += amount;

    public int Get() => State;

    public void Reset() => State = 0;
}
