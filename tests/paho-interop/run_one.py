"""
Runs ONE Paho interoperability test (client_test.py for MQTT 3.1.1, client_test5.py for MQTT 5.0) against a broker.
Written for EdgeStream (not part of Eclipse Paho): the Paho scripts read host/port from their __main__ block and
hand the rest of argv to unittest, which makes single-test runs awkward; this sets the module globals their
__main__ would set and runs the one named test. Exit status 0 = passed, 1 = failed or errored.

usage: python3 run_one.py client_test5 test_session_expiry 127.0.0.1 1883
"""
import importlib, logging, sys, unittest

module_name, test_name, host, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
sys.path.insert(0, __file__.rsplit("/", 1)[0])
m = importlib.import_module(module_name)
m.host, m.port = host, port
if module_name == "client_test5":
    m.topic_prefix = "client_test5/"
    m.topics = [m.topic_prefix + t for t in ["TopicA", "TopicA/B", "Topic/C", "TopicA/C", "/TopicA"]]
    m.wildtopics = [m.topic_prefix + t for t in ["TopicA/+", "+/C", "#", "/#", "/+", "+/+", "TopicA/#"]]
else:
    m.topics = ("TopicA", "TopicA/B", "Topic/C", "TopicA/C", "/TopicA")
    m.wildtopics = ("TopicA/+", "+/C", "#", "/#", "/+", "+/+", "TopicA/#")
m.nosubscribe_topics = ("test/nosubscribe",)
logging.getLogger().setLevel(logging.ERROR)
result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(unittest.TestSuite([m.Test(test_name)]))
sys.exit(0 if result.wasSuccessful() else 1)
