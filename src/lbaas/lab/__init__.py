"""Lab hosts: namespaces with a web server that stand in for tenant VMs (see `hosts.LabHosts`)."""
