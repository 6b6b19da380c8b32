namespace Serverless.Runtime.Tests;

/// <summary>A thread-safe invocation counter that test tasks capture.</summary>
internal sealed class CallCounter
{
    private int _value;

    public int Value => Volatile.Read(ref _value);

    public int Increment() => Interlocked.Increment(ref _value);
}
