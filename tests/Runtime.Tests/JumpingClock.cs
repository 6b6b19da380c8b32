namespace Serverless.Runtime.Tests;

/// <summary>The system clock plus an offset that a test moves at once, as NTP or a resumed VM moves the wall clock (or a host whose clock is off by a fixed amount).</summary>
internal sealed class JumpingClock : TimeProvider
{
    private long _offsetTicks;

    public void Jump(TimeSpan by) => Interlocked.Add(ref _offsetTicks, by.Ticks);

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));
}
