"""What the agents write into a repository, checked: path rules, the plan file's structure, project
templates.
"""
