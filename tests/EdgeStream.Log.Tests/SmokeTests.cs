namespace EdgeStream.Log.Tests;

public class SmokeTests
{
    [Fact]
    public void Truth_holds() => Assert.True(true);
}
