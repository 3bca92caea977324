"""The state machine that turns an issue into a plan, reviewed phases and a final pull request; one
module per step.
"""
