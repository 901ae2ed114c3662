// Four test classes at a time on any machine: most tests here wait (Paho's sleeps, brokers, the shipped build's
// publish, which one class awaits for minutes), so two threads left the other classes queued behind a waiting one.
[assembly: Xunit.v3.Parallelization(MaxThreads = 4)]
