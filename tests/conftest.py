import os

# beancount's pickle cache ignores plugin code changes: never use it in tests.
os.environ["BEANCOUNT_DISABLE_LOAD_CACHE"] = "1"
