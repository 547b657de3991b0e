"""What keeps the parts of the assistant closed to everyone but each other (README "Security").

- `service_secrets`: the shared secrets, from the environment or a file, never from code;
- `service_auth`: the header every internal call carries, checked in constant time;
- `rasa_server`, `action_server`: start the Rasa server and the action server on loopback with
  their secrets read from the environment, so no secret is ever in a process's argv;
- `rate_limit`: back-off for identity checks, per sender, per client address and overall.
"""
